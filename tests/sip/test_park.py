"""Park by code from a phone without keys, and transfer keyed during the call."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.sip.test_hold import hears_music
from tests.sip.test_inbound import staff
from tests.support.box import Box
from tests.support.calls import CALLEE_TONE, CALLER_TONE, talking
from tests.support.phone import Phone
from tests.support.prompts import heard_sequence, prompt
from tests.support.wait import wait_until

pytestmark = pytest.mark.sip

SERGEY_TONE = 1300


def parks(reception: Phone, inc: int, line: int) -> None:
    """Reception keys the park code; the box tells it the line and lets it go."""
    reception.dtmf(inc, "*7#")
    wait_until(
        lambda: heard_sequence(
            reception.recorded(inc), [prompt("parked_on_line"), prompt(f"num_{line}")]
        ),
        timeout=15,
        what=f"reception told line {line}",
    )
    reception.wait_state(inc, "disconnected")


def test_a_parked_call_waits_with_music_until_any_phone_takes_its_line(
    box: Box, phone_factory: Callable[[str], Phone]
) -> None:
    ivan, reception, out, inc = talking(box, phone_factory, caller="101", callee="100")
    parks(reception, inc, 1)
    hears_music(ivan, out)
    assert box.command("status")["calls"][0]["state"] == "parked"

    [sergey] = staff(phone_factory, box, "103")
    sergey.play(SERGEY_TONE)
    taken = sergey.call(f"sip:*71@{box.domain}")
    ivan.wait_heard(SERGEY_TONE, out)
    sergey.wait_heard(CALLER_TONE, taken)
    empty = sergey.call(f"sip:*72@{box.domain}")
    assert sergey.wait_state(empty, "disconnected", timeout=10)["code"] == 404
    ivan.hangup(out)
    sergey.wait_state(taken, "disconnected")
    rows = box.closed_calls(2)
    assert (rows[0]["disposition"], rows[0]["answered_by"]) == ("answered", "100")
    assert (rows[1]["dialed"], rows[1]["reason"]) == ("*72", "no call parked on that line")


def test_a_parked_call_nobody_takes_rings_its_parker_back(
    box_factory: Callable[..., Box], phone_factory: Callable[[str], Phone]
) -> None:
    box = box_factory(extra="\n[park]\ntimeout = 2\n")
    ivan, reception, out, inc = talking(box, phone_factory, caller="101", callee="100")
    parks(reception, inc, 1)
    back = reception.wait_event("incoming", timeout=5)  # auto-answered
    ivan.wait_heard(CALLEE_TONE, out)
    reception.wait_heard(CALLER_TONE, back["call"])
    reception.hangup(back["call"])
    ivan.wait_state(out, "disconnected")


def test_a_transfer_keyed_in_the_call_shows_the_target_who_is_handed_on(
    box: Box, phone_factory: Callable[[str], Phone]
) -> None:
    ivan, reception, out, inc = talking(box, phone_factory, caller="101", callee="100")
    [sergey] = staff(phone_factory, box, "103")
    sergey.play(SERGEY_TONE)
    reception.dtmf(inc, "*2103#")
    offered = sergey.wait_event("incoming")
    assert offered["from_user"] == "101"
    reception.wait_state(inc, "disconnected")
    sergey.answer(offered["call"])
    ivan.wait_heard(SERGEY_TONE, out)
    sergey.wait_heard(CALLER_TONE, offered["call"])
    sergey.hangup(offered["call"])
    ivan.wait_state(out, "disconnected")
    [row] = box.closed_calls(1)
    assert (row["answered_by"], row["transferred_to"]) == ("100", "103")


def test_a_park_is_announced_on_the_phones_that_answer_by_themselves(
    box_factory: Callable[..., Box], phone_factory: Callable[[str], Phone]
) -> None:
    box = box_factory(extra='\n[park]\nannounce_to = ["100", "103"]\n')
    ivan, reception, out, inc = talking(box, phone_factory, caller="101", callee="100")
    [sergey] = staff(phone_factory, box, "103")
    sergey.auto_answer(200)
    parks(reception, inc, 1)
    page = sergey.wait_event("incoming")
    assert page["headers"].get("call-info") == "<sip:pbx>;answer-after=0"
    wait_until(
        lambda: heard_sequence(
            sergey.recorded(page["call"]), [prompt("parked_on_line"), prompt("num_1")]
        ),
        timeout=15,
        what="the page heard",
    )
    sergey.wait_state(page["call"], "disconnected")  # the box lets it go
    assert len(reception.events("incoming")) == 1  # its own call only: the parker is not paged
    sergey.play(SERGEY_TONE)
    taken = sergey.call(f"sip:*71@{box.domain}")
    ivan.wait_heard(SERGEY_TONE, out)
    sergey.wait_heard(CALLER_TONE, taken)
