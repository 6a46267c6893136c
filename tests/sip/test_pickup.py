"""Call pickup from a colleague's phone: by the group's code and by the extension's."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.sip.test_inbound import staff
from tests.support.box import Box
from tests.support.phone import Phone

pytestmark = pytest.mark.sip

SALES = """
[[departments]]
number = "600"
name = "Sales"
members = ["101", "102"]
"""


@pytest.fixture
def office(box_factory: Callable[..., Box]) -> Box:
    return box_factory(extra=SALES)


def ring_ivan(box: Box, phone_factory: Callable[[str], Phone]) -> tuple[Phone, Phone, int, int]:
    """Reception (700 Hz) calls Ivan, whose phone rings unanswered."""
    reception, ivan = staff(phone_factory, box, "100", "101")
    reception.play(700)
    out = reception.call(f"sip:101@{box.domain}")
    ringing = ivan.wait_event("incoming")["call"]
    reception.wait_state(out, "early")
    return reception, ivan, out, ringing


def picks_up(picker: Phone, box: Box, code: str, reception: Phone, out: int) -> int:
    """``picker`` (1100 Hz) dials ``code`` and talks with reception, both ways."""
    picker.play(1100)
    picked = picker.call(f"sip:{code}@{box.domain}")
    picker.wait_state(picked, "confirmed")
    reception.wait_heard(1100, out)
    picker.wait_heard(700, picked)
    return picked


def test_a_colleague_picks_up_a_ringing_phone_of_their_group(
    office: Box, phone_factory: Callable[[str], Phone]
) -> None:
    reception, ivan, out, ringing = ring_ivan(office, phone_factory)
    [olga] = staff(phone_factory, office, "102")
    picked = picks_up(olga, office, "*8", reception, out)
    ivan.wait_state(ringing, "disconnected")  # his phone stops ringing
    reception.hangup(out)
    olga.wait_state(picked, "disconnected")
    [row] = office.closed_calls(1)
    assert (row["callee"], row["disposition"], row["answered_by"]) == ("101", "answered", "102")


def test_outside_the_group_only_the_extension_code_picks_up(
    office: Box, phone_factory: Callable[[str], Phone]
) -> None:
    reception, ivan, out, ringing = ring_ivan(office, phone_factory)
    [sergey] = staff(phone_factory, office, "103")
    refused = sergey.call(f"sip:*8@{office.domain}")  # not in Sales
    assert sergey.wait_state(refused, "disconnected", timeout=10)["code"] == 404
    assert not [e for e in ivan.events("call_state") if e["state"] == "disconnected"]

    picked = picks_up(sergey, office, "**101", reception, out)
    ivan.wait_state(ringing, "disconnected")
    sergey.hangup(picked)
    reception.wait_state(out, "disconnected")
    rows = office.closed_calls(2)
    assert [(r["dialed"], r["disposition"], r["answered_by"]) for r in rows] == [
        ("101", "answered", "103"),
        ("*8", "failed", None),
    ]


def test_with_nothing_ringing_a_pickup_is_refused(
    office: Box, phone_factory: Callable[[str], Phone]
) -> None:
    [olga] = staff(phone_factory, office, "102")
    out = olga.call(f"sip:*8@{office.domain}")
    assert olga.wait_state(out, "disconnected", timeout=10)["code"] == 404
    [row] = office.closed_calls(1)
    assert (row["dialed"], row["disposition"], row["reason"]) == (
        "*8",
        "failed",
        "nothing ringing to pick up",
    )
