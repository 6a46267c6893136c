"""The console and saves while the engine is down: the page says so, nothing breaks.
(The console over a running box is tests/sip/test_web_console.py.)"""

from __future__ import annotations

from firmware.config import load_config
from tests.support.web import WebBox, inputs, post_form


def test_the_console_says_the_engine_does_not_answer(box: WebBox) -> None:
    admin = box.signed_in("admin")
    page = admin.get("/console")
    assert page.status_code == 200
    assert "The engine does not answer" in page.text
    csrf = inputs(page.text)["csrf"]
    refused = admin.post("/console/park", data={"record": "1"}, headers={"x-csrf-token": csrf})
    assert "the engine does not answer" in refused.text


def test_a_save_with_the_engine_down_is_kept_and_says_it_is_not_applied_yet(box: WebBox) -> None:
    admin = box.signed_in("admin")
    page = post_form(
        admin,
        "/setup/employees/105",
        "/setup/employees/105",
        {
            "number": "105",
            "name": "Dmitry S. Sokolov",
            "role": "user",
            "device": "sip",
            "allow": ["local", "long_distance", "mobile", "service"],
        },
    )
    assert "The running box did not apply it yet (the engine does not answer" in page.text
    extension = load_config(box.home.config).extension("105")
    assert extension is not None and extension.name == "Dmitry S. Sokolov"
