"""Blind transfer from the phone's transfer key: the target takes the call, or the
transferor is rung back."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.sip.test_inbound import staff
from tests.support.box import Box
from tests.support.calls import CALLEE_TONE, CALLER_TONE, talking
from tests.support.phone import Phone

pytestmark = pytest.mark.sip

SERGEY_TONE = 1300
RINGBACK_RU = 425


def test_the_target_takes_a_blind_transfer(box: Box, phone_factory: Callable[[str], Phone]) -> None:
    ivan, reception, out, inc = talking(box, phone_factory, caller="101", callee="100")
    [sergey] = staff(phone_factory, box, "103")
    sergey.play(SERGEY_TONE)

    reception.transfer(inc, f"sip:103@{box.domain}")
    reception.wait_state(inc, "disconnected")  # the box lets the transferor go
    offered = sergey.wait_event("incoming")
    ivan.wait_heard(RINGBACK_RU, out)
    sergey.answer(offered["call"])
    ivan.wait_heard(SERGEY_TONE, out)
    sergey.wait_heard(CALLER_TONE, offered["call"])
    ivan.hangup(out)
    sergey.wait_state(offered["call"], "disconnected")
    [row] = box.closed_calls(1)
    assert (row["disposition"], row["answered_by"], row["transferred_to"]) == (
        "answered",
        "100",
        "103",
    )


def test_a_transfer_nobody_answers_rings_the_transferor_back(
    box: Box, phone_factory: Callable[[str], Phone]
) -> None:
    ivan, reception, out, inc = talking(box, phone_factory, caller="101", callee="100")
    [sergey] = staff(phone_factory, box, "103")
    reception.transfer(inc, f"sip:103@{box.domain}")
    missed = sergey.wait_event("incoming")
    sergey.wait_state(missed["call"], "disconnected", timeout=10)  # rang 4 s, unanswered
    back = reception.wait_event("incoming", timeout=5)  # auto-answered
    assert back["headers"].get("alert-info") == "<urn:alert:service:recall>"
    ivan.wait_heard(CALLEE_TONE, out)
    reception.wait_heard(CALLER_TONE, back["call"])
    reception.hangup(back["call"])
    ivan.wait_state(out, "disconnected")
    [row] = box.closed_calls(1)
    assert (row["answered_by"], row["transferred_to"]) == ("100", None)


def test_a_transfer_outside_the_box_is_refused_and_the_call_goes_on(
    box: Box, phone_factory: Callable[[str], Phone]
) -> None:
    ivan, reception, out, inc = talking(box, phone_factory, caller="101", callee="100")
    reception.transfer(inc, f"sip:999@{box.domain}")
    refused = reception.wait_event("transfer_status", final=True)
    assert refused["code"] == 403
    ivan.wait_heard(CALLEE_TONE, out)
    reception.wait_heard(CALLER_TONE, inc)
    assert box.command("status")["calls"][0]["state"] == "talking"


def test_after_a_consultation_the_transfer_key_joins_the_customer_and_the_target(
    box: Box, phone_factory: Callable[[str], Phone]
) -> None:
    ivan, reception, out, inc = talking(box, phone_factory, caller="101", callee="100")
    [sergey] = staff(phone_factory, box, "103")
    sergey.play(SERGEY_TONE)
    reception.hold(inc)  # Ivan waits with music while reception asks Sergey
    consult = reception.call(f"sip:103@{box.domain}")
    asked = sergey.wait_event("incoming")
    sergey.answer(asked["call"])
    reception.wait_heard(SERGEY_TONE, consult)
    sergey.wait_heard(CALLEE_TONE, asked["call"])

    reception.transfer_attended(inc, consult)
    reception.wait_state(inc, "disconnected")
    reception.wait_state(consult, "disconnected")
    ivan.wait_heard(SERGEY_TONE, out)
    sergey.wait_heard(CALLER_TONE, asked["call"])
    ivan.hangup(out)
    sergey.wait_state(asked["call"], "disconnected")
    rows = box.closed_calls(2)
    assert [(r["caller"], r["callee"], r["transferred_to"]) for r in rows] == [
        ("101", "100", "103"),
        ("100", "103", None),
    ]


def test_consult_a_colleague_and_return_to_the_held_customer(
    box: Box, phone_factory: Callable[[str], Phone]
) -> None:
    ivan, reception, out, inc = talking(box, phone_factory, caller="101", callee="100")
    [sergey] = staff(phone_factory, box, "103")
    sergey.play(SERGEY_TONE)
    reception.hold(inc)
    consult = reception.call(f"sip:103@{box.domain}")
    asked = sergey.wait_event("incoming")
    sergey.answer(asked["call"])
    reception.wait_heard(SERGEY_TONE, consult)
    assert not ivan.heard(SERGEY_TONE, out)  # the customer hears music, not the colleague
    reception.hangup(consult)
    reception.resume(inc)
    ivan.wait_heard(CALLEE_TONE, out)
    reception.wait_heard(CALLER_TONE, inc)


SALES = """
[[departments]]
number = "600"
name = "Sales"
strategy = "all"
members = ["102", "103"]
queue = { enabled = false }
"""


def test_a_call_keyed_on_to_a_department_rings_its_members_and_one_takes_it(
    box_factory: Callable[..., Box], phone_factory: Callable[[str], Phone]
) -> None:
    box = box_factory(extra=SALES)
    ivan, reception, out, inc = talking(box, phone_factory, caller="101", callee="100")
    olga, sergey = staff(phone_factory, box, "102", "103")
    sergey.play(SERGEY_TONE)

    reception.dtmf(inc, "*2600#")  # a phone without a transfer key
    reception.wait_state(inc, "disconnected")
    rung = [olga.wait_event("incoming"), sergey.wait_event("incoming")]
    assert {r["from_user"] for r in rung} == {"101"}  # they see who waits, not reception
    ivan.wait_heard(RINGBACK_RU, out)
    sergey.answer(rung[1]["call"])
    olga.wait_state(rung[0]["call"], "disconnected")  # all at once: the others stop
    ivan.wait_heard(SERGEY_TONE, out)
    sergey.wait_heard(CALLER_TONE, rung[1]["call"])
    ivan.hangup(out)
    sergey.wait_state(rung[1]["call"], "disconnected")
    [row] = box.closed_calls(1)
    assert (row["answered_by"], row["transferred_to"]) == ("100", "600")
