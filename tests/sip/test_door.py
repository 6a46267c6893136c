"""The door intercom end to end: a ring at the door, answered by any phone, opened by a key.

The engine runs the sim board, whose relays are gpiozero MockFactory pins in
the engine's process; ``minipbx status`` (the control socket) shows each relay
and when it switched, by the engine's clock, which is what these tests read.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.sip.test_inbound import staff
from tests.support import sipp
from tests.support.box import EXTENSIONS, Box
from tests.support.calls import CALLEE_TONE, CALLER_TONE
from tests.support.phone import Phone
from tests.support.wait import wait_until

pytestmark = pytest.mark.sip

OPEN_SECONDS = 2.0
DOOR = f"""
[[departments]]
number = "600"
name = "Office"
members = ["101", "102"]

[[doors]]
name = "front"
station = "190"
ring = "department:600"
relay = "door1"
open_seconds = {OPEN_SECONDS}
openers = ["100"]
direct_code = "*51"
"""


def door_box(box_factory: Callable[..., Box]) -> Box:
    return box_factory(
        extensions={**EXTENSIONS, "190": ("Front door", "Door-Secret-xyz")}, extra=DOOR
    )


def relay(box: Box, name: str = "door1") -> dict[str, Any]:
    found: dict[str, Any] = box.command("status")["hardware"]["relays"][name]
    return found


def pulses(box: Box, count: int) -> list[float]:
    """How long each of the relay's first ``count`` openings held, once it has closed again."""

    def closed() -> list[float] | None:
        history = relay(box)["history"]
        if len(history) < 2 * count:
            return None
        assert [on for _, on in history] == [True, False] * (len(history) // 2)
        return [off[0] - on[0] for on, off in zip(history[::2], history[1::2], strict=True)]

    return wait_until(closed, timeout=OPEN_SECONDS + 10, what=f"{count} door opening(s)")


def test_a_ring_at_the_door_is_answered_by_any_phone_and_opened_by_its_key(
    box_factory: Callable[..., Box], phone_factory: Callable[[str], Phone]
) -> None:
    box = door_box(box_factory)
    door, ivan, olga = staff(phone_factory, box, "190", "101", "102")
    door.play(CALLER_TONE)
    ivan.play(CALLEE_TONE)
    ivan.auto_answer(200)
    out = door.call(f"sip:100@{box.domain}")  # the door phone's button: whatever it dials
    offered = olga.wait_event("incoming")  # the whole department rings
    inc = ivan.wait_event("incoming")["call"]
    door.wait_heard(CALLEE_TONE, out)
    ivan.wait_heard(CALLER_TONE, inc)
    assert relay(box) == {"on": False, "history": [], "open_until": None}

    ivan.dtmf(inc, "5")
    held = pulses(box, 1)
    assert OPEN_SECONDS <= held[0] < OPEN_SECONDS + 1.0
    door.wait_heard(CALLEE_TONE, out)  # the call goes on after the door opened
    [opening] = box.command("status")["door_openings"]
    assert (opening["door"], opening["opened_by"], opening["how"]) == (
        "front",
        "101",
        "during_call",
    )
    assert opening["relay_ok"] is True
    shown = box.cli("status").stdout
    assert "relay door1: off" in shown and "door front opened" in shown and "by 101" in shown
    door.hangup(out)
    ivan.wait_state(inc, "disconnected")
    olga.wait_state(offered["call"], "disconnected")
    [row] = box.closed_calls(1)
    assert (row["caller"], row["answered_by"]) == ("190", "101")


def test_an_opener_opens_the_door_by_its_code_and_nobody_else_can(
    box_factory: Callable[..., Box], phone_factory: Callable[[str], Phone]
) -> None:
    box = door_box(box_factory)
    reception, olga = staff(phone_factory, box, "100", "102")
    refused = olga.call(f"sip:*51@{box.domain}")
    assert olga.wait_state(refused, "disconnected", timeout=10)["code"] == 403
    assert relay(box)["history"] == []
    opened = reception.call(f"sip:*51@{box.domain}")
    reception.wait_state(opened, "disconnected", timeout=10)
    assert OPEN_SECONDS <= pulses(box, 1)[0] < OPEN_SECONDS + 1.0
    [opening] = box.command("status")["door_openings"]
    assert (opening["opened_by"], opening["how"]) == ("100", "direct_code")


def test_a_door_station_that_is_not_pjsua2_rings_and_is_opened(
    box_factory: Callable[..., Box], phone_factory: Callable[[str], Phone], tmp_path: Path
) -> None:
    """sipp as the door phone (its own SIP stack, digest auth, a 1 kHz tone as the visitor)."""
    box = door_box(box_factory)
    [ivan] = staff(phone_factory, box, "101")
    ivan.auto_answer(200)
    station = sipp.extension_calls(
        box, hold_ms=8000, cwd=tmp_path, extra=["-m", "1"], caller="190", callee="100"
    )
    inc = ivan.wait_event("incoming")["call"]
    ivan.wait_heard(1000, inc)
    ivan.dtmf(inc, "5")
    assert OPEN_SECONDS <= pulses(box, 1)[0] < OPEN_SECONDS + 1.0
    ivan.wait_state(inc, "disconnected", timeout=15)
    assert sipp.stop(station) == 0, station.stderr.read() if station.stderr else ""
    [row] = box.closed_calls(1)
    assert (row["caller"], row["answered_by"]) == ("190", "101")
