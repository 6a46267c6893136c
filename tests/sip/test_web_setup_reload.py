"""A set-up page's save over a running box: written, reloaded, and the page says what the
running box could not apply until it restarts (the serial ports)."""

from __future__ import annotations

import pytest

from firmware.config import load_config
from tests.support.box import Box
from tests.support.web import WebBox, form_fields, post_form

pytestmark = pytest.mark.sip


def test_an_smdr_change_is_saved_applied_and_its_restart_is_said(box: Box) -> None:
    admin = WebBox(box.root).signed_in("admin")
    shown = form_fields(admin.get("/setup/hardware").text, "smdr-form")
    data = {k: v for k, v in shown.items() if k not in ("csrf", "version")}
    page = post_form(admin, "/setup/hardware", "/setup/hardware/smdr", {**data, "baud": "19200"})
    assert page.status_code == 200, page.text
    assert "Saved and applied: [smdr]. [smdr] takes effect when the box restarts." in page.text
    assert load_config(box.home.config).smdr.baud == 19200
    modes = form_fields(admin.get("/setup/modes").text, "modes-form")
    data = {k: v for k, v in modes.items() if k not in ("csrf", "version")}
    saved = post_form(admin, "/setup/modes", "/setup/modes", {**data, "holidays": "2027-01-07"})
    assert "Saved and applied: modes." in saved.text
