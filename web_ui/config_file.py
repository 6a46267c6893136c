"""pbx.toml as the web UI edits it: tomlkit keeps the installer's comments, the whole new
text is validated as ``minipbx config check`` does before anything is written, the file
is replaced atomically, and an edit based on an older version of the file is refused.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import tomlkit
from tomlkit import TOMLDocument

from firmware.config import Config, ConfigError, parse_config
from firmware.prompts.check import prompt_problems
from firmware.prompts.library import PromptLibrary

Edit = Callable[[TOMLDocument], None]


class StaleEditError(Exception):
    """The file changed since the form was shown: saving would overwrite someone's edit."""

    def __init__(self) -> None:
        super().__init__(
            "pbx.toml was changed by someone else since this page was opened; nothing was "
            "saved. Reload the page to see their change, then make yours again."
        )


def version_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Snapshot:
    """The file as it is now, the version a form carries, and what it means."""

    text: str
    version: str
    config: Config


class ConfigFile:
    def __init__(self, path: Path, prompts: PromptLibrary) -> None:
        self.path = path
        self._prompts = prompts
        self._lock = threading.Lock()

    @property
    def prompts(self) -> PromptLibrary:
        """The prompts a config names must have files in: the upload page adds to them."""
        return self._prompts

    def read(self) -> Snapshot:
        text = self.path.read_text(encoding="utf-8")
        return Snapshot(text, version_of(text), self.check(text))

    def check(self, text: str) -> Config:
        """The config ``text`` makes, checked as ``minipbx config check`` checks a file."""
        config = parse_config(text, self.path.name)
        problems = prompt_problems(config, self._prompts, text)
        if problems:
            raise ConfigError(self.path.name, problems)
        return config

    def save(self, version: str, edit: Edit) -> Config:
        """Applies ``edit`` to the file at ``version``; a refusal (StaleEditError,
        ConfigError) changes nothing."""
        with self._lock:
            text = self.path.read_text(encoding="utf-8")
            if version_of(text) != version:
                raise StaleEditError
            document = tomlkit.parse(text)
            edit(document)
            new_text = tomlkit.dumps(document)
            config = self.check(new_text)
            self._replace(new_text)
            return config

    def _replace(self, text: str) -> None:
        """Writes a sibling file and renames it over pbx.toml: a reader sees old or new, whole."""
        mode = self.path.stat().st_mode & 0o777
        descriptor, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".pbx.toml.")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, mode)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
