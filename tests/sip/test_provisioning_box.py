"""The running box serves provisioning: a phone listed in pbx.toml fetches its file from
the engine's service with the credential ``minipbx devices`` shows the installer."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.support.box import Box
from tests.support.net import free_port

pytestmark = pytest.mark.sip


def test_a_listed_phone_fetches_its_file_with_the_credential_the_installer_was_shown(
    box_factory: Callable[..., Box],
) -> None:
    port = free_port("tcp")
    box = box_factory(
        extra=f"\n[provisioning]\nenabled = true\nport = {port}\n"
        '[[provisioning.devices]]\nmac = "80:5E:C0:AA:00:03"\nmodel = "t46u"\n'
        'extension = "101"\nblf = ["102"]\n'
    )
    assert box.command("status")["provisioning"]["up"]
    shown = box.cli("devices")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0] == f"t46u 805ec0aa0003: http://127.0.0.1:{port}/805ec0aa0003.cfg"
    user, password = lines[1].removeprefix("  user ").split(", password ")
    url = f"http://127.0.0.1:{port}/805ec0aa0003.cfg"
    fetched = httpx.get(url, auth=(user, password), timeout=5)
    assert fetched.status_code == 200
    assert "account.1.user_name = 101" in fetched.text
    assert "linekey.2.value = 102" in fetched.text
    assert httpx.get(url, timeout=5).status_code == 401
    assert password not in box.engine_log_text()
