"""Renders the prompt catalogue to telephone WAVs with espeak-ng and sox, at build time.

    python -m firmware.prompts.build OUTDIR [--lang ru] [--name welcome] [--force]

Writes ``OUTDIR/<lang>/<name>.wav``: 8 kHz mono 16-bit signed PCM, what the
engine's conference bridge runs at. Nothing is downloaded and nothing runs on
the box at call time. A manifest (``OUTDIR/manifest.json``) keeps a hash of
each prompt's text and render settings, so a second run only renders what
changed and is a fast no-op otherwise (``./build.sh`` runs it every time).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from firmware.prompts import CHANNELS, LANGUAGES, RATE, SAMPLE_BITS, load_catalogue
from firmware.prompts.music import render_music

MANIFEST = "manifest.json"
#: espeak-ng voices; `en` is British English, the neutral choice for an office abroad.
VOICES = {"ru": "ru", "de": "de", "en": "en"}
#: Words per minute: espeak's default 175 is hurried on a telephone line.
SPEED = 145
#: sox effects after resampling. espeak pads every phrase with ~0.4 s of digital silence,
#: which would leave long holes between prompts played in a row ("caller number" "three"):
#: trim both ends (-60 dB only cuts true silence, never a soft consonant), level the peak
#: to -3 dBFS (loud over G.711, no clipping), and keep a short, even gap after each.
_TRIM_START = ("silence", "1", "0.005", "-60d")
EFFECTS = (*_TRIM_START, "reverse", *_TRIM_START, "reverse", "norm", "-3", "pad", "0.02", "0.2")
#: Change this when the rendering itself changes, so every prompt is rendered again.
RENDER_VERSION = 1
TOOLS = ("espeak-ng", "sox")


class BuildError(RuntimeError):
    pass


@dataclass(frozen=True)
class Job:
    lang: str
    name: str
    text: str

    @property
    def key(self) -> str:
        return f"{self.lang}/{self.name}"

    @property
    def digest(self) -> str:
        """What the output depends on: text, voice and render settings."""
        recipe = [RENDER_VERSION, VOICES[self.lang], SPEED, EFFECTS, RATE, self.text]
        return hashlib.sha256(json.dumps(recipe, ensure_ascii=False).encode()).hexdigest()


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def render(job: Job, out: Path) -> None:
    """Speaks ``job`` into ``out``: espeak-ng at 22.05 kHz, then sox to telephone format.

    sox resamples with its anti-alias filter and runs undithered (-D), so the
    same text always gives the same file.
    """
    with tempfile.TemporaryDirectory(prefix="prompt-") as tmp:
        raw = Path(tmp) / "espeak.wav"
        _run(
            ["espeak-ng", "-v", VOICES[job.lang], "-s", str(SPEED), "-b", "1", "-w", str(raw)],
            job,
            stdin=job.text,
        )
        part = out.with_name(f".{out.name}.part")
        fmt = ["-r", str(RATE), "-c", str(CHANNELS), "-b", str(SAMPLE_BITS), "-e", "signed-integer"]
        _run(["sox", "-D", str(raw), *fmt, "-t", "wav", str(part), *EFFECTS], job)
        os.replace(part, out)


def _run(argv: list[str], job: Job, *, stdin: str | None = None) -> None:
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BuildError(f"{job.key}: {argv[0]} failed ({done.returncode}): {done.stderr.strip()}")


def plan(languages: Iterable[str] = LANGUAGES, names: Iterable[str] | None = None) -> list[Job]:
    """One job per language and prompt, from the catalogue."""
    catalogue = load_catalogue()
    chosen = list(catalogue) if names is None else list(names)
    unknown = [name for name in chosen if name not in catalogue]
    if unknown:
        raise BuildError(f"not in the catalogue: {', '.join(unknown)}")
    return [Job(lang, name, catalogue[name][lang]) for lang in languages for name in chosen]


def build(
    outdir: Path,
    *,
    languages: Iterable[str] = LANGUAGES,
    names: Iterable[str] | None = None,
    force: bool = False,
) -> list[str]:
    """Renders what is missing or changed; returns the ``lang/name`` keys it rendered."""
    tools = missing_tools()
    if tools:
        raise BuildError(
            f"{' and '.join(tools)} not found: voice prompts are rendered with espeak-ng and sox "
            "(Debian: apt-get install espeak-ng sox)"
        )
    languages = tuple(languages)
    jobs = plan(languages, names)
    manifest_path = outdir / MANIFEST
    manifest = _read_manifest(manifest_path)
    before = dict(manifest)
    todo = [
        job
        for job in jobs
        if force
        or manifest.get(job.key) != job.digest
        or not (outdir / job.lang / f"{job.name}.wav").is_file()
    ]
    if names is None:
        _forget_removed(outdir, manifest, {job.key for job in jobs}, set(languages))
    for lang in {job.lang for job in todo}:
        (outdir / lang).mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = pool.map(lambda job: _render_one(job, outdir), todo)
        try:
            for job in results:
                manifest[job.key] = job.digest
        finally:
            if manifest != before:
                _write_manifest(manifest_path, manifest)
    return [job.key for job in todo]


def _forget_removed(
    outdir: Path, manifest: dict[str, str], wanted: set[str], langs: set[str]
) -> None:
    """Deletes what this build once rendered and the catalogue no longer has; nothing else."""
    for key in [k for k in manifest if k not in wanted and k.split("/", 1)[0] in langs]:
        (outdir / f"{key}.wav").unlink(missing_ok=True)
        del manifest[key]


def _render_one(job: Job, outdir: Path) -> Job:
    render(job, outdir / job.lang / f"{job.name}.wav")
    return job


def _read_manifest(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_manifest(path: Path, manifest: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f".{path.name}.part")
    part.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(part, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render the voice prompts to 8 kHz WAV files.")
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--lang", action="append", choices=LANGUAGES, help="only this language")
    parser.add_argument("--name", action="append", help="only this prompt (repeatable)")
    parser.add_argument("--force", action="store_true", help="render everything again")
    args = parser.parse_args(argv)
    try:
        done = build(
            args.outdir, languages=args.lang or LANGUAGES, names=args.name, force=args.force
        )
    except BuildError as exc:
        print(f"prompts: {exc}", file=sys.stderr)
        return 1
    if done:
        print(f"prompts: rendered {len(done)} into {args.outdir}", file=sys.stderr)
    if render_music(args.outdir / "music" / "default.wav"):
        print(f"prompts: music on hold written into {args.outdir}/music", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
