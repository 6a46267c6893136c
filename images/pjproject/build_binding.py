"""Builds the engine's pjsua2 binding from pjproject, once, and installs it into a venv.

Every pjsua2 wheel on PyPI keeps pjproject's compile-time defaults (4 call legs,
8 accounts); the box needs hundreds. So the binding is compiled here with this
folder's config_site.h, patches and configure flags, from the pjproject tarball
pinned in source.toml. The wheel is cached outside the checkout, keyed by all of
those and the Python version, so a second checkout, CI and every later run only
install it.

    python3 images/pjproject/build_binding.py --python .venv/bin/python

PJPROJECT_TARBALL=/path builds from a local copy of the tarball (offline
installers, the image build); it must match the pinned sha256, or
PJPROJECT_SHA256 must name its hash to take another one on purpose.
MINIPBX_CACHE (default ~/.cache/minipbx) is where wheels and builds are kept.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

RECIPE = Path(__file__).resolve().parent
RECIPE_FILES = (
    "source.toml",
    "config_site.h",
    "minipbx.i",
    *sorted(p.name for p in RECIPE.glob("*.patch")),
)
STEPS = 8


class BuildError(RuntimeError):
    """A step failed; the message says which, why, and where its log is."""


@dataclass(frozen=True)
class Source:
    package: str
    suite: str
    version: str
    file: str
    sha256: str
    configure: list[str]
    cflags: str

    @classmethod
    def load(cls) -> Source:
        with open(RECIPE / "source.toml", "rb") as f:
            return cls(**tomllib.load(f))


def say(text: str) -> None:
    print(f"==> pjsua2: {text}", file=sys.stderr, flush=True)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def python_tag(python: str) -> str:
    return (
        subprocess.run(
            [
                python,
                "-c",
                "import sys, platform; print(sys.implementation.cache_tag, platform.machine())",
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .replace(" ", "-")
    )


def cache_key(tarball_sha256: str, python: str) -> str:
    """Changes whenever anything that goes into the wheel changes."""
    digest = hashlib.sha256(tarball_sha256.encode())
    for name in RECIPE_FILES:
        digest.update(name.encode() + b"\0" + (RECIPE / name).read_bytes())
    digest.update(python_tag(python).encode())
    return digest.hexdigest()[:16]


class Build:
    """One build in its own folder of the cache, step by step, each step logged."""

    def __init__(
        self, *, source: Source, python: str, cache: Path, tarball: Path | None, tarball_sha256: str
    ) -> None:
        self.source = source
        self.python = python
        self.tarball = tarball
        self.tarball_sha256 = tarball_sha256
        self.key = cache_key(tarball_sha256, python)
        self.wheels = cache / "wheels" / self.key
        self.work = cache / "build" / self.key
        self.logs = self.work / "logs"
        self.step_no = 0

    def wheel(self) -> Path | None:
        found = sorted(self.wheels.glob("pjsua2-*.whl"))
        return found[0] if found else None

    def step(self, name: str, action: Callable[[Path], None]) -> None:
        self.step_no += 1
        log = self.logs / f"{self.step_no}-{name}.log"
        say(f"[{self.step_no}/{STEPS}] {name} ...")
        started = time.monotonic()
        try:
            action(log)
        except BuildError as exc:
            raise BuildError(f"step {self.step_no}/{STEPS} '{name}' failed: {exc}") from None
        say(f"[{self.step_no}/{STEPS}] {name} done in {time.monotonic() - started:.1f} s")

    def run(
        self, log: Path, args: list[str], *, cwd: Path, env: dict[str, str] | None = None
    ) -> None:
        with open(log, "a") as out:
            out.write(f"$ {' '.join(args)}\n")
            out.flush()
            done = subprocess.run(
                args,
                cwd=cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
                check=False,
            )
        if done.returncode != 0:
            tail = "".join(log.read_text(errors="replace").splitlines(keepends=True)[-15:])
            raise BuildError(f"`{' '.join(args)}` exited {done.returncode}; log: {log}\n{tail}")

    def build(self) -> Path:
        if self.work.exists():
            shutil.rmtree(self.work)
        self.logs.mkdir(parents=True)
        download = self.work / self.source.file
        tree = self.work / "src"
        self.step("download", lambda log: self.download(log, download))
        self.step("verify", lambda log: self.verify(download))
        self.step("unpack", lambda log: self.unpack(download, tree))
        self.step("patch", lambda log: self.patch(log, tree))
        self.step(
            "configure",
            lambda log: self.run(
                log,
                ["./configure", *self.source.configure],
                cwd=tree,
                env={"CFLAGS": self.source.cflags, "CXXFLAGS": self.source.cflags},
            ),
        )
        self.step("compile", lambda log: self.compile(log, tree))
        built = self.work / "dist"
        self.step("wheel", lambda log: self.make_wheel(log, tree, built))
        self.step("cache", lambda log: self.keep(built))
        shutil.rmtree(self.work)
        wheel = self.wheel()
        assert wheel is not None
        return wheel

    def download(self, log: Path, target: Path) -> None:
        if self.tarball is not None:
            shutil.copyfile(self.tarball, target)
            return
        uri = self.source_uri(log)
        self.run(
            log,
            [
                "/usr/lib/apt/apt-helper",
                "download-file",
                uri,
                str(target),
                f"SHA256:{self.source.sha256}",
            ],
            cwd=self.work,
        )

    def source_uri(self, log: Path) -> str:
        """The tarball's address from Debian's own signed index, through apt with a
        private source list: the machine's apt configuration is left alone."""
        lists = self.work / "apt-lists"
        (lists / "partial").mkdir(parents=True)
        sources = self.work / "sources.list"
        sources.write_text(f"deb-src {debian_mirror()} {self.source.suite} main\n")
        apt = [
            "apt-get",
            "-q",
            "-o",
            f"Dir::Etc::SourceList={sources}",
            "-o",
            "Dir::Etc::SourceParts=/dev/null",
            "-o",
            f"Dir::State::Lists={lists}",
        ]
        self.run(log, [*apt, "update"], cwd=self.work)
        listing = subprocess.run(
            [*apt, "source", "--print-uris", self.source.package],
            cwd=self.work,
            capture_output=True,
            text=True,
            check=False,
        )
        with open(log, "a") as out:
            out.write(listing.stdout + listing.stderr)
        for line in listing.stdout.splitlines():
            fields = line.split()
            if len(fields) >= 4 and fields[1] == self.source.file:
                if fields[3] != f"SHA256:{self.source.sha256}":
                    raise BuildError(
                        f"Debian lists {self.source.file} with {fields[3]}, "
                        f"not the pinned sha256 {self.source.sha256}"
                    )
                return fields[0].strip("'")
        raise BuildError(
            f"Debian's {self.source.suite} suite has no {self.source.file} in source package "
            f"{self.source.package} (it has moved on, or the archive cannot be reached). "
            "Put a copy of that file on this machine and run again with "
            "PJPROJECT_TARBALL=/path/to/it, or pin a newer upload in "
            f"{RECIPE / 'source.toml'} after testing it. Log: {log}"
        )

    def verify(self, download: Path) -> None:
        found = sha256_of(download)
        if found != self.tarball_sha256:
            raise BuildError(
                f"{download.name} has sha256 {found}, expected {self.tarball_sha256}. To build "
                f"from another tarball on purpose, set PJPROJECT_SHA256={found}"
            )

    def unpack(self, download: Path, tree: Path) -> None:
        with tarfile.open(download) as tar:
            top = tar.getmembers()[0].name.split("/")[0]
            tar.extractall(self.work, filter="data")
        (self.work / top).rename(tree)

    def patch(self, log: Path, tree: Path) -> None:
        for patch in sorted(RECIPE.glob("*.patch")):
            self.run(log, ["patch", "-p1", "--forward", "-i", str(patch)], cwd=tree)
        shutil.copyfile(
            RECIPE / "config_site.h", tree / "pjlib" / "include" / "pj" / "config_site.h"
        )
        shutil.copyfile(RECIPE / "minipbx.i", tree / "pjsip-apps" / "src" / "swig" / "minipbx.i")

    def compile(self, log: Path, tree: Path) -> None:
        self.run(log, ["make", "dep"], cwd=tree)
        self.run(log, ["make", "-j", str(os.cpu_count() or 2), "lib"], cwd=tree)

    def make_wheel(self, log: Path, tree: Path, built: Path) -> None:
        swig = tree / "pjsip-apps" / "src" / "swig" / "python"
        self.run(log, ["make", "pjsua2_wrap.cpp"], cwd=swig)
        self.run(
            log,
            [
                self.python,
                "-m",
                "pip",
                "wheel",
                "-q",
                "--no-deps",
                "--disable-pip-version-check",
                "-w",
                str(built),
                ".",
            ],
            cwd=swig,
            env={"PJDIR": str(tree), "CFLAGS": "-g0", "CXXFLAGS": "-g0"},
        )

    def keep(self, built: Path) -> None:
        wheels = list(built.glob("pjsua2-*.whl"))
        if len(wheels) != 1:
            raise BuildError(f"expected one wheel in {built}, found {wheels}")
        partial = self.wheels.with_name(self.wheels.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        shutil.copy2(wheels[0], partial / wheels[0].name)
        partial.rename(self.wheels)


def debian_mirror() -> str:
    """The Debian archive this machine's own apt sources name."""
    listing = subprocess.run(
        ["apt-get", "indextargets", "--format", "$(LABEL) $(REPO_URI)"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    for line in listing.splitlines():
        label, _, uri = line.partition(" ")
        if label == "Debian":
            return uri.rstrip("/")
    return "http://deb.debian.org/debian"


def install(python: str, wheel: Path, key: str) -> None:
    """Into the venv, in place of any stock pjsua2-python, which would shadow it."""
    venv_stamp = Path(python).parent.parent / ".installed-pjsua2"
    if venv_stamp.exists() and venv_stamp.read_text() == key:
        return
    pip = [python, "-m", "pip", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "uninstall", "-y", "pjsua2-python"], check=False, capture_output=True)
    subprocess.run([*pip, "install", "--no-deps", "--force-reinstall", str(wheel)], check=True)
    venv_stamp.write_text(key)
    say(f"installed {wheel.name} ({key})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", required=True, help="the venv's python to install into")
    args = parser.parse_args()
    source = Source.load()
    tarball = os.environ.get("PJPROJECT_TARBALL")
    build = Build(
        source=source,
        python=os.path.abspath(args.python),
        cache=Path(os.environ.get("MINIPBX_CACHE", Path.home() / ".cache" / "minipbx")),
        tarball=Path(tarball) if tarball else None,
        tarball_sha256=os.environ.get("PJPROJECT_SHA256", source.sha256),
    )
    wheel = build.wheel()
    try:
        if wheel is None:
            say(
                f"no cached binding {build.key}: building pjproject {source.version} "
                f"(a few minutes, once); logs in {build.logs}"
            )
            wheel = build.build()
        install(build.python, wheel, build.key)
    except BuildError as exc:
        say(f"FAILED: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
