"""Meet-me conference rooms: everyone in a room hears everyone else."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.sip.test_inbound import staff
from tests.support.box import Box
from tests.support.calls import CALLEE_TONE, CALLER_TONE, talking
from tests.support.phone import Phone
from tests.support.prompts import prompt, wait_prompt
from tests.support.wait import wait_until

pytestmark = pytest.mark.sip

ROOMS = """
[[conferences]]
number = "800"
name = "Morning meeting"

[[conferences]]
number = "801"
name = "Board"
pin = "4321"
"""
TONES = {"100": 700, "101": 1100, "102": 1500}


@pytest.fixture
def office(box_factory: Callable[..., Box]) -> Box:
    return box_factory(extra=ROOMS)


def test_three_in_a_room_each_hear_the_other_two(
    office: Box, phone_factory: Callable[[str], Phone]
) -> None:
    phones = dict(zip(TONES, staff(phone_factory, office, *TONES), strict=True))
    calls = {}
    for number, phone in phones.items():
        phone.play(TONES[number])
        calls[number] = phone.call(f"sip:800@{office.domain}")
        phone.wait_state(calls[number], "confirmed")
    for number, phone in phones.items():
        for other, tone in TONES.items():
            if other != number:
                phone.wait_heard(tone, calls[number])
    phones["100"].hangup(calls["100"])
    ivan = phones["101"]
    wait_until(
        lambda: not ivan.heard(TONES["100"], calls["101"], last_s=0.5),
        timeout=5,
        what="reception gone from the room",
    )
    ivan.wait_heard(TONES["102"], calls["101"])  # the others go on
    for number in ("101", "102"):
        phones[number].hangup(calls[number])
    rows = office.closed_calls(3)
    assert {(r["dialed"], r["disposition"]) for r in rows} == {("800", "answered")}


def test_a_room_with_a_pin_lets_in_only_who_keys_it(
    office: Box, phone_factory: Callable[[str], Phone]
) -> None:
    ivan, olga = staff(phone_factory, office, "101", "102")
    ivan.play(1100)
    olga.play(1500)
    first = ivan.call(f"sip:801@{office.domain}")
    ivan.wait_state(first, "confirmed")
    wait_prompt(ivan, first, prompt("voicemail_enter_pin"))
    ivan.dtmf(first, "4321#")
    second = olga.call(f"sip:801@{office.domain}")
    olga.wait_state(second, "confirmed")
    wait_prompt(olga, second, prompt("voicemail_enter_pin"))
    olga.dtmf(second, "1111#")
    wait_prompt(olga, second, prompt("voicemail_wrong_pin"))
    assert not ivan.heard(1500, first, last_s=0.5)  # not in the room yet
    olga.dtmf(second, "4321#")
    ivan.wait_heard(1500, first)
    olga.wait_heard(1100, second)


def test_a_party_brought_into_a_call_talks_with_both(
    box: Box, phone_factory: Callable[[str], Phone]
) -> None:
    ivan, reception, out, inc = talking(box, phone_factory, caller="101", callee="100")
    [sergey] = staff(phone_factory, box, "103")
    sergey.play(1500)
    reception.dtmf(inc, "*3103#")
    offered = sergey.wait_event("incoming")
    assert offered["from_user"] == "100"  # Sergey sees who brings him in
    sergey.answer(offered["call"])
    joined = offered["call"]
    for phone, call, others in (
        (ivan, out, (CALLEE_TONE, 1500)),
        (reception, inc, (CALLER_TONE, 1500)),
        (sergey, joined, (CALLER_TONE, CALLEE_TONE)),
    ):
        for tone in others:
            phone.wait_heard(tone, call)

    reception.hangup(inc)  # the other two go on
    wait_until(lambda: not ivan.heard(CALLEE_TONE, out, last_s=0.5), timeout=5, what="gone")
    ivan.wait_heard(1500, out)
    ivan.hangup(out)
    sergey.wait_state(joined, "disconnected")  # alone, the call is over for him too
    [row] = box.closed_calls(1)
    assert (row["disposition"], row["answered_by"]) == ("answered", "100")
