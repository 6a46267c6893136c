"""The operator console over a real box: a call between two phones shows up live (server-sent
events) and a click parks it; the caller then hears the park's music and the slot shows it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.sip.test_hold import hears_music
from tests.support.box import Box
from tests.support.calls import CALLER_TONE, talking
from tests.support.phone import Phone
from tests.support.wait import wait_until
from tests.support.web import WebBox, inputs

pytestmark = pytest.mark.sip

SERGEY_TONE = 1300


def first_live_event(client: object, path: str) -> str:
    """The HTML of the first ``live`` event the console's stream sends."""
    with client.stream("GET", path) as answer:  # type: ignore[attr-defined]
        assert answer.headers["content-type"].startswith("text/event-stream")
        lines: list[str] = []
        for line in answer.iter_lines():
            if line.startswith("data: "):
                lines.append(line.removeprefix("data: "))
            elif not line and lines:
                return "\n".join(lines)
    raise AssertionError("the stream ended without an event")


def test_the_console_shows_a_live_call_and_a_click_parks_it(
    box: Box, phone_factory: Callable[[str], Phone]
) -> None:
    web = WebBox(box.root)
    admin = web.signed_in("admin")
    assert 'data-extension="101"><span class="pill offline">' in admin.get("/console").text
    ivan, reception, out, inc = talking(box, phone_factory, caller="101", callee="100")
    record = box.command("status")["calls"][0]["record"]

    live = first_live_event(admin, "/console/events")
    assert f'<tr data-record="{record}"><td>{record}</td><td>101</td><td>100</td>' in live
    assert f'data-park="{record}"' in live
    assert 'data-extension="101"><span class="pill busy">' in live
    assert 'data-extension="102"><span class="pill offline">' in live

    csrf = inputs(admin.get("/console").text)["csrf"]
    parked = admin.post(
        "/console/park", data={"record": str(record)}, headers={"x-csrf-token": csrf}
    )
    assert "Call parked on line 1" in parked.text
    hears_music(ivan, out)
    reception.wait_state(inc, "disconnected")
    assert box.command("status")["calls"][0]["state"] == "parked"
    wait_until(
        lambda: 'data-slot="1">line 1: 101<' in admin.get("/console").text,
        timeout=5,
        what="the park panel shows line 1",
    )
    again = admin.post(
        "/console/park", data={"record": str(record)}, headers={"x-csrf-token": csrf}
    )
    assert "is not talking: it cannot be parked" in again.text

    forced = admin.post("/console/mode", data={"mode": "night"}, headers={"x-csrf-token": csrf})
    assert "Mode now: night" in forced.text
    assert box.command("status")["mode"]["override"]["by"] == "admin"
    ivan.hangup(out)
    ivan.wait_state(out, "disconnected")


def test_the_console_transfers_a_talking_call_to_another_extension(
    box: Box, phone_factory: Callable[[str], Phone]
) -> None:
    admin = WebBox(box.root).signed_in("admin")
    ivan, reception, out, inc = talking(box, phone_factory, caller="101", callee="100")
    sergey = phone_factory("ext103")
    sergey.register(box, "103")
    sergey.play(SERGEY_TONE)
    record = box.command("status")["calls"][0]["record"]
    csrf = inputs(admin.get("/console").text)["csrf"]
    headers = {"x-csrf-token": csrf}
    refused = admin.post(
        "/console/transfer", data={"record": str(record), "to": "199"}, headers=headers
    )
    assert f"call {record} cannot go to &#39;199&#39;: no such extension" in refused.text
    handed = admin.post(
        "/console/transfer", data={"record": str(record), "to": "103"}, headers=headers
    )
    assert f"Call {record} is being handed to 103" in handed.text
    offered = sergey.wait_event("incoming", timeout=10)
    sergey.answer(offered["call"])
    ivan.wait_heard(SERGEY_TONE, out)
    sergey.wait_heard(CALLER_TONE, offered["call"])
    reception.wait_state(inc, "disconnected")
    ivan.hangup(out)
    sergey.wait_state(offered["call"], "disconnected")
    [row] = box.closed_calls(1)
    assert row["transferred_to"] == "103"
