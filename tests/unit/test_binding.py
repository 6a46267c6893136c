"""The engine's pjsua2 binding: built by ./build.sh with the box's limits, not a stock wheel."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import pjsua2 as pj
import pytest

from firmware.config import load_config

ROOT = Path(__file__).resolve().parents[2]
BUILDER = ROOT / "images" / "pjproject" / "build_binding.py"


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
        env={**os.environ, **(env or {})},
    )


def test_the_binding_is_ours_with_the_limits_of_config_site() -> None:
    """pjsua would clamp a larger request silently; the binding says what it holds."""
    assert (
        pj.MINIPBX_MAX_CALLS,
        pj.MINIPBX_MAX_ACC,
        pj.MINIPBX_MAX_PLAYERS,
        pj.MINIPBX_MAX_CONF_PORTS,
    ) == (1024, 64, 512, 2048)
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        importlib.metadata.version("pjsua2-python")


def test_minipbx_version_names_pjproject_and_its_legs() -> None:
    done = run("-m", "firmware.cli", "--version")
    assert done.returncode == 0, done.stderr
    assert "pjproject 2.17" in done.stdout
    assert "1024 legs" in done.stdout


def test_a_capacity_the_binding_cannot_hold_is_refused_before_the_engine_starts(
    tmp_path: Path,
) -> None:
    (tmp_path / "pbx.toml").write_text(
        '[system]\nsip_domain = "pbx.test"\n\n[network]\nrtp_port_max = 20999\n\n'
        "[capacity]\ncalls = 500\n",
        encoding="utf-8",
    )
    config = load_config(tmp_path / "pbx.toml")
    assert config.capacity.legs == 1250
    done = run("-m", "firmware.cli", "--home", str(tmp_path), "engine")
    assert done.returncode == 1
    assert "calls = 500 needs 1250 legs" in done.stderr
    assert "holds 1024" in done.stderr


def test_a_tarball_that_is_not_the_pinned_one_is_refused_and_nothing_is_cached(
    tmp_path: Path,
) -> None:
    tarball = tmp_path / "pjproject.tar.xz"
    tarball.write_bytes(b"not pjproject")
    cache = tmp_path / "cache"
    done = run(
        str(BUILDER),
        "--python",
        sys.executable,
        env={"PJPROJECT_TARBALL": str(tarball), "MINIPBX_CACHE": str(cache)},
    )
    assert done.returncode == 1
    assert "step 2/8 'verify' failed" in done.stderr
    assert "PJPROJECT_SHA256=" in done.stderr
    assert not list(cache.glob("wheels/*"))


def test_a_call_object_deleted_late_leaves_the_newer_call_in_its_slot_alone() -> None:
    done = run("-m", "tests.support.late_call")
    [result] = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert result == {"same_slot": True, "active": True, "confirmed_seen": True}
    assert done.returncode == 0, done.stderr[-2000:]  # nor an abort at the end
