"""Voice prompts: what the box says to callers, in each language it speaks.

``catalogue.toml`` next to this file is the single source of truth: the build
renders it with espeak-ng (``firmware.prompts.build``), the engine plays the
result through ``PromptLibrary`` (``firmware.prompts.library``), and an
installer may replace any prompt with a recording of the same name.

Prompts are telephone audio: 8 kHz mono 16-bit PCM WAV, what the engine's
conference bridge runs at, so a prompt goes to G.711 with no resampling.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

#: The languages of ``[system] language``; every prompt exists in each of them.
LANGUAGES = ("ru", "de", "en")
CATALOGUE_FILE = Path(__file__).with_name("catalogue.toml")
#: Where ``./build.sh`` renders the built-in set in a checkout (``var/`` is not in git).
BUILT_DIR = Path(__file__).resolve().parents[2] / "var" / "prompts"
#: Prompt names double as file names, so they stay plain (no dots, no slashes).
NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")

#: The format every prompt file must have (see ``library.check_recording``).
RATE = 8000
CHANNELS = 1
SAMPLE_BITS = 16


class CatalogueError(ValueError):
    """The catalogue file itself is wrong: a developer's mistake, caught by the unit tests."""


Catalogue = dict[str, dict[str, str]]


def parse_catalogue(text: str, *, source: str = "catalogue.toml") -> Catalogue:
    """Name -> language -> text, refusing an entry that lacks a language or has a stray one."""
    data = tomllib.loads(text)
    catalogue: Catalogue = {}
    for name, entry in data.items():
        if not NAME.match(name):
            raise CatalogueError(f"{source}: [{name}]: a prompt name is [a-z0-9_], up to 64")
        if not isinstance(entry, dict):
            raise CatalogueError(f"{source}: {name} must be a table of ru, de, en texts")
        missing = [lang for lang in LANGUAGES if not str(entry.get(lang, "")).strip()]
        extra = sorted(set(entry) - set(LANGUAGES))
        why = [f"no text for {', '.join(missing)}"] if missing else []
        why += [f"unknown {extra}"] if extra else []
        if why:
            raise CatalogueError(f"{source}: [{name}]: {'; '.join(why)}")
        catalogue[name] = {lang: str(entry[lang]).strip() for lang in LANGUAGES}
    return catalogue


@cache
def load_catalogue(path: Path = CATALOGUE_FILE) -> Catalogue:
    """The shipped catalogue, read once per process."""
    return parse_catalogue(path.read_text(encoding="utf-8"), source=str(path))


def prompt_names() -> list[str]:
    """Every prompt the box ships, in catalogue order."""
    return list(load_catalogue())
