"""Transfer from a phone that is not pjsua2: baresip's transfer command sends the REFER,
so pjsua2 talking to pjsua2 cannot hide a protocol bug in how the box takes one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.sip.test_inbound import staff
from tests.sip.test_transfer import RINGBACK_RU, SALES, SERGEY_TONE
from tests.support import audio
from tests.support.baresip import Baresip
from tests.support.box import Box
from tests.support.calls import CALLEE_TONE, CALLER_TONE
from tests.support.phone import Phone
from tests.support.wait import wait_until

pytestmark = pytest.mark.sip


def customer_reaches(
    box: Box, phone_factory: Callable[[str], Phone], reception: Baresip
) -> tuple[Phone, int, str]:
    """Ivan (101) calls reception, baresip answering as 100; returns his phone, his call and
    baresip's call id once Ivan hears reception's tone."""
    [ivan] = staff(phone_factory, box, "101")
    ivan.play(CALLER_TONE)
    out = ivan.call(f"sip:100@{box.domain}")
    answered = reception.wait_event("CALL_ESTABLISHED")
    ivan.wait_heard(CALLEE_TONE, out)
    return ivan, out, answered["id"]


def test_a_baresip_phone_s_blind_transfer_reaches_the_target(
    box: Box, phone_factory: Callable[[str], Phone], tmp_path: Path
) -> None:
    [sergey] = staff(phone_factory, box, "103")
    sergey.play(SERGEY_TONE)
    with Baresip(tmp_path / "baresip", server=box, number="100", tone=CALLEE_TONE) as reception:
        ivan, out, handed = customer_reaches(box, phone_factory, reception)

        reception.transfer(f"sip:103@{box.domain}")
        closed = reception.wait_event("CALL_CLOSED")  # the box lets the transferor go
        assert closed["id"] == handed
        assert not reception.events("TRANSFER_FAILED")
        assert audio.has_tone(reception.heard(), CALLER_TONE)  # it talked with Ivan first
        offered = sergey.wait_event("incoming")
        ivan.wait_heard(RINGBACK_RU, out)
        sergey.answer(offered["call"])
        ivan.wait_heard(SERGEY_TONE, out)
        sergey.wait_heard(CALLER_TONE, offered["call"])
        assert not ivan.heard(CALLEE_TONE, out)  # reception is out of the call
        assert reception.idle()
        assert [e["id"] for e in reception.events("CALL_ESTABLISHED")] == [handed]
    ivan.hangup(out)
    sergey.wait_state(offered["call"], "disconnected")
    [row] = box.closed_calls(1)
    assert (row["caller"], row["answered_by"], row["transferred_to"]) == ("101", "100", "103")


def test_a_baresip_phone_s_transfer_to_a_department_is_refused_and_the_box_hands_it_on(
    box_factory: Callable[..., Box], phone_factory: Callable[[str], Phone], tmp_path: Path
) -> None:
    box = box_factory(extra=SALES)
    olga, sergey = staff(phone_factory, box, "102", "103")
    sergey.play(SERGEY_TONE)
    with Baresip(tmp_path / "baresip", server=box, number="100", tone=CALLEE_TONE) as reception:
        ivan, out, handed = customer_reaches(box, phone_factory, reception)

        reception.transfer(f"sip:600@{box.domain}")
        refused = reception.wait_event("TRANSFER_FAILED")  # 403: pjsua must not place it
        assert (refused["id"], refused["param"]) == (handed, "403 Forbidden")
        # baresip hangs up after a failed transfer, as the box ends the transferor's leg.
        wait_until(reception.idle, timeout=5, what="reception's call over")
        rung = [olga.wait_event("incoming"), sergey.wait_event("incoming")]
        assert {r["from_user"] for r in rung} == {"101"}
        ivan.wait_heard(RINGBACK_RU, out)
        sergey.answer(rung[1]["call"])
        olga.wait_state(rung[0]["call"], "disconnected")
        ivan.wait_heard(SERGEY_TONE, out)
        sergey.wait_heard(CALLER_TONE, rung[1]["call"])
        assert not ivan.heard(CALLEE_TONE, out)
        assert [e["id"] for e in reception.events("CALL_ESTABLISHED")] == [handed]
    ivan.hangup(out)
    sergey.wait_state(rung[1]["call"], "disconnected")
    [row] = box.closed_calls(1)
    assert (row["answered_by"], row["transferred_to"]) == ("100", "600")
