"""``minipbx run`` starts the web UI with the box, prints the first admin password once,
and Ctrl-C stops it with the rest."""

from __future__ import annotations

import re
import signal
import socket
from pathlib import Path

import pytest

from firmware.config import load_config
from firmware.home import Home
from tests.sip.test_run import start
from tests.support.box import office_toml
from tests.support.net import answers, free_port
from tests.support.wait import wait_until

pytestmark = pytest.mark.sip


def run_until_web_answers(home: Home, output: Path) -> str:
    url = f"http://127.0.0.1:{load_config(home.config).web.port}/login"
    box = start(home.root, output)
    try:
        wait_until(lambda: answers(url), timeout=30, what="the web UI answering")
    finally:
        box.send_signal(signal.SIGINT)
        box.wait(30)
    assert box.returncode == 0, output.read_text()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", load_config(home.config).web.port)) != 0
    return output.read_text()


def test_run_starts_the_web_ui_and_prints_the_admin_password_once(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    home.root.mkdir()
    home.config.write_text(
        office_toml(sip_port=free_port(), engine_port=free_port(), rtp_port=31000)
    )
    first = run_until_web_answers(home, tmp_path / "first.out")
    password = re.search(r"Login: admin, password: (\S+)", first)
    assert password is not None, first
    second = run_until_web_answers(home, tmp_path / "second.out")
    assert "admin account was created" not in second and password.group(1) not in second
