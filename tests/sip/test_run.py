"""``minipbx run``: the box in the foreground, one at a time, stopped by Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from firmware.config.sample import write_sample_if_missing
from firmware.home import Home
from tests.support.box import office_toml
from tests.support.net import free_port
from tests.support.wait import wait_until

pytestmark = pytest.mark.sip


def start(home: Path, output: Path) -> subprocess.Popen[bytes]:
    with output.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "firmware.cli", "--home", str(home), "run"],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def descendants(pid: int) -> set[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False)
    children = {int(p) for p in found.stdout.split()}
    return children.union(*(descendants(c) for c in children))


def alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def test_run_serves_refuses_a_second_start_and_stops_everything(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    home.root.mkdir()
    sip, engine = free_port(), free_port()
    home.config.write_text(office_toml(sip_port=sip, engine_port=engine, rtp_port=30000))
    output = tmp_path / "run.out"
    first = start(home.root, output)
    try:
        wait_until(home.control_socket.exists, timeout=20, what="the engine's control socket")
        started = descendants(first.pid)
        assert len(started) > 3, started  # kamailio, its children and the engine
        second = subprocess.run(
            [sys.executable, "-m", "firmware.cli", "--home", str(home.root), "run"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert second.returncode == 1
        assert f"127.0.0.1:{sip}/udp is already in use" in second.stderr
    finally:
        first.send_signal(signal.SIGINT)
        first.wait(30)
    printed = output.read_text()
    assert first.returncode == 0, printed
    assert not [pid for pid in started if alive(pid)]
    assert "Test office is up. Phones register to" in printed


def test_first_run_writes_the_sample_office_once(tmp_path: Path) -> None:
    config = tmp_path / "pbx.toml"
    assert write_sample_if_missing(config)
    written = config.read_text()
    assert 'number = "105"' in written and 'area_code = "495"' in written
    assert oct(config.stat().st_mode & 0o777) == "0o600"
    assert not write_sample_if_missing(config)
    assert config.read_text() == written
