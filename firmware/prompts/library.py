"""Finding the file of a prompt: the installer's own recording first, then the built-in one.

Two directories, each ``<lang>/<name>.wav``:

- ``custom``: recordings an installer put on the box (``Home.custom_prompts``,
  ``var/custom-prompts`` in a checkout). They win, so an office can have its own
  voice for any prompt, and may add prompts the catalogue does not have.
- ``built``: what ``firmware.prompts.build`` rendered from the catalogue
  (``firmware.prompts.BUILT_DIR``, ``var/prompts`` in a checkout).

A custom recording the engine cannot play is passed over for the built-in
prompt (and reported by ``problems``) rather than leaving a caller in silence.

What the engine plays: pjmedia's WAV player reads 16-bit PCM and 8-bit G.711
(A-law, µ-law) WAVs, and the conference bridge would resample other rates and
mix stereo down (summing the channels, 6 dB louder, so it can clip). It refuses
24-bit, float and WAVE_FORMAT_EXTENSIBLE files. The box accepts 8 kHz mono
only, the rate of the bridge and of G.711: no resampling per call on a small
CPU, no clipping, and the same sound as the built-in prompts.
"""

from __future__ import annotations

import logging
import os
import shlex
import struct
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from firmware.prompts import CHANNELS, LANGUAGES, NAME, RATE, SAMPLE_BITS, load_catalogue

log = logging.getLogger(__name__)

#: pjmedia refuses a WAV shorter than one 20 ms frame.
MIN_SECONDS = 0.02
_PCM, _ALAW, _ULAW = 1, 6, 7
_FORMATS = {
    _PCM: "PCM",
    _ALAW: "G.711 A-law",
    _ULAW: "G.711 µ-law",
    3: "float",
    0xFFFE: "WAVE_FORMAT_EXTENSIBLE",
}


class PromptMissing(LookupError):  # noqa: N818 (reads as the condition it reports)
    """No playable file for a prompt in a language; the message says where it looked."""

    def __init__(self, name: str, lang: str, message: str) -> None:
        super().__init__(message)
        self.name = name
        self.lang = lang


def convert_hint(path: Path) -> str:
    fixed = path.with_name(f"{path.stem}-8k.wav")
    return (
        f"convert with: sox {shlex.quote(str(path))} -r {RATE} -c {CHANNELS} -b {SAMPLE_BITS} "
        f"-e signed-integer {shlex.quote(str(fixed))} and put that in its place"
    )


def check_recording(path: Path) -> str | None:
    """None when the engine can play ``path`` as a prompt; otherwise what is wrong and the fix."""
    problem = _recording_problem(Path(path))
    return None if problem is None else f"{path}: {problem}; {convert_hint(Path(path))}"


def _recording_problem(path: Path) -> str | None:
    try:
        with path.open("rb") as f:
            return _wav_problem(f)
    except OSError as exc:
        return f"cannot be read: {exc.strerror}"


def _wav_problem(f: BinaryIO) -> str | None:
    head = f.read(12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return f"not a WAV file (it starts with {head[:4]!r})"
    fmt, data_len = _chunks(f)
    if fmt is None or len(fmt) < 16:
        return "a WAV file without a readable 'fmt ' chunk"
    tag, channels, rate, _, block_align, bits = struct.unpack("<HHIIHH", fmt[:16])
    what: list[str] = []
    if tag not in (_PCM, _ALAW, _ULAW) or (tag == _PCM and bits != 16):
        what.append(f"{bits}-bit {_FORMATS.get(tag, f'format {tag:#x}')}")
    if channels != 1:
        what.append("stereo" if channels == 2 else f"{channels} channels")
    if rate != RATE:
        what.append(f"{rate / 1000:g} kHz")
    if what:
        return f"{', '.join(what)}; the box plays {RATE // 1000} kHz mono 16-bit PCM (or G.711)"
    if block_align != (2 if tag == _PCM else 1):
        return "a damaged WAV header (block align)"
    if data_len is None:
        return "a WAV file without audio (no 'data' chunk)"
    if data_len < MIN_SECONDS * rate * block_align:
        return "shorter than 20 ms"
    return None


def _chunks(f: BinaryIO) -> tuple[bytes | None, int | None]:
    """The 'fmt ' chunk's body and the 'data' chunk's length, skipping others as pjmedia does."""
    fmt: bytes | None = None
    while len(header := f.read(8)) == 8:
        tag, size = header[:4], struct.unpack("<I", header[4:])[0]
        if tag == b"data":
            return fmt, size
        skip = size + (size & 1)  # chunks are word-aligned
        if tag == b"fmt ":
            fmt = f.read(min(size, 64))
            skip -= len(fmt)
        f.seek(skip, os.SEEK_CUR)
    return fmt, None


class PromptLibrary:
    """Resolves prompt names to files for the engine and reports what a box lacks."""

    def __init__(self, built: Path, custom: Path | None = None) -> None:
        self.built = Path(built)
        self.custom = None if custom is None else Path(custom)

    def __repr__(self) -> str:
        return f"<PromptLibrary custom={self.custom} built={self.built}>"

    def path(self, name: str, lang: str) -> Path:
        """The file to play for ``name`` in ``lang``; raises PromptMissing if there is none."""
        _check_lang(lang)
        if not NAME.match(name):
            raise PromptMissing(name, lang, f"{name!r} is not a prompt name ([a-z0-9_])")
        looked: list[str] = []
        if self.custom is not None:
            own = self.custom / lang / f"{name}.wav"
            if own.is_file():
                problem = _recording_problem(own)
                if problem is None:
                    return own
                log.warning("%s is not playable (%s): using the built-in %s", own, problem, name)
                looked.append(f"{own} (not playable: {problem})")
            else:
                looked.append(str(own))
        built = self.built / lang / f"{name}.wav"
        if built.is_file():
            return built
        looked.append(str(built))
        raise PromptMissing(name, lang, self._missing_message(name, lang, looked))

    def _missing_message(self, name: str, lang: str, looked: list[str]) -> str:
        message = f"no prompt {name!r} in {lang}: looked for {' and '.join(looked)}"
        if name not in load_catalogue():
            return (
                f"{message}; {name!r} is not in the catalogue, so only a recording can provide it"
            )
        if not self.built.is_dir():
            return f"{message}; the built-in prompts are not built (./build.sh builds them)"
        return message

    def missing(self, names: Iterable[str], lang: str) -> list[str]:
        """The names among ``names`` that have no playable file in ``lang``, in order."""
        missing = []
        for name in names:
            try:
                self.path(name, lang)
            except PromptMissing:
                missing.append(name)
        return missing

    def problems(self) -> list[str]:
        """What is wrong in the custom directory: unplayable recordings, files that are ignored.

        For ``config check``: an installer who dropped in ``Welcome.mp3`` learns
        that the box will not play it before a caller does.
        """
        if self.custom is None or not self.custom.is_dir():
            return []
        found: list[str] = []
        for entry in sorted(self.custom.iterdir()):
            if entry.name not in LANGUAGES:
                found.append(
                    f"{entry}: ignored: not a language the box speaks ({', '.join(LANGUAGES)})"
                )
                continue
            for file in sorted(entry.iterdir()) if entry.is_dir() else []:
                if file.suffix != ".wav" or not NAME.match(file.stem):
                    found.append(f"{file}: ignored: a prompt file is <name>.wav, e.g. welcome.wav")
                elif (problem := check_recording(file)) is not None:
                    found.append(problem)
        return found


def _check_lang(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"language {lang!r}: prompts exist in {', '.join(LANGUAGES)}")
