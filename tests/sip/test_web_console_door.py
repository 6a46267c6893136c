"""The console's door over a real box on the sim board: the door shows live with its relay,
a click pulses the relay for the door's open_seconds, and the opening is logged with the
receptionist's extension as the opener, as a code from their phone would be."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from firmware.engine.control import send_command
from tests.sip.test_door import OPEN_SECONDS, door_box, pulses, relay
from tests.sip.test_web_console import first_live_event
from tests.support.box import Box
from tests.support.web import WebBox, inputs

pytestmark = pytest.mark.sip


def test_a_console_click_opens_the_door_in_the_receptionists_name(
    box_factory: Callable[..., Box],
) -> None:
    box = door_box(box_factory)
    admin = WebBox(box.root).signed_in("admin")
    live = first_live_event(admin, "/console/events")
    assert 'data-door="front"><span class="pill idle">closed</span>' in live
    assert "not opened yet" in live
    csrf = inputs(admin.get("/console").text)["csrf"]
    headers = {"x-csrf-token": csrf}
    assert "Calls you take ring extension 102" in (
        admin.post("/console/phone", data={"phone": "102"}, headers=headers).text
    )
    bad = admin.post("/console/door", data={"door": "back"}, headers=headers)
    assert "&#39;back&#39; is no door of this office" in bad.text
    for request, why in (
        ({"door": "back", "by": "102"}, "no door 'back'"),
        ({"door": "front", "by": "199"}, "'199' is no extension"),
    ):  # the engine's own word, should the page and the box disagree
        refused = send_command(box.home.control_socket, {"cmd": "open_door", **request})
        assert refused["ok"] is False and why in refused["errors"][0]
    assert relay(box)["history"] == []
    assert box.command("status")["door_openings"] == []

    opened = admin.post("/console/door", data={"door": "front"}, headers=headers)
    assert "Door front opened (logged as opened by 102)" in opened.text
    assert OPEN_SECONDS <= pulses(box, 1)[0] < OPEN_SECONDS + 1.0
    [opening] = box.command("status")["door_openings"]
    assert (opening["door"], opening["opened_by"], opening["how"], opening["relay_ok"]) == (
        "front",
        "102",
        "console",
        True,
    )
    shown = first_live_event(admin, "/console/events")
    assert 'data-door="front"><span class="pill idle">closed</span>' in shown
    moscow = datetime.fromisoformat(opening["opened_at"]).astimezone(ZoneInfo("Europe/Moscow"))
    assert f"last opened {moscow:%Y-%m-%d %H:%M:%S} by 102 (console)" in shown
