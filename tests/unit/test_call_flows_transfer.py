"""A blind transfer keyed to an extension, on fake legs: the target answers, or the
transferor's phone rings back."""

from __future__ import annotations

from firmware.config import parse_config
from firmware.engine.features.incall.service import InCallCodes
from firmware.engine.features.transfer.service import Transfer
from firmware.routing.toneplans import Tone
from tests.support.fake_leg import Office
from tests.support.office_lines import extension_phone
from tests.unit.test_call_flows import NOWHERE, OLGA_AGAIN, SALES, connected, hears
from tests.unit.test_config import GOOD

CONFIG = parse_config(GOOD + SALES)


def transferring_office() -> Office:
    """Transfers ring extensions as the box does, and ring the transferor (Olga) back."""
    transfer = Transfer(
        config=lambda: CONFIG,
        calls=list,
        party_phone=lambda call, party: OLGA_AGAIN,
        extension=extension_phone(CONFIG),
        hand_on=NOWHERE,
        shown=lambda leg: leg.remote_user(),
    )
    codes = InCallCodes(
        config=lambda: CONFIG, transfer=transfer, park=NOWHERE, rooms=NOWHERE, recording=NOWHERE
    )
    return Office(keyed=codes.keyed)


def olga_transfers_ivan_to_sergey() -> tuple:
    office = transferring_office()
    call, ivan, olga = connected(office)
    olga.keys("*2103#")
    sergey = office.legs[-1]
    assert (call.state.name, sergey.sent) == (
        "transferring",
        ["dial sip:103@pbx.local from <sip:101@pbx.local>"],  # Sergey sees who is handed on
    )
    office.after(0)  # the transferor's leg ends on the next turn
    assert olga.sent[-1] == "end"
    ringback = office.tones[-1]
    assert (ringback.tone, ringback.heard_by) == (Tone.RINGBACK, [ivan.audio])
    sergey.rings()
    return office, call, ivan, sergey


def test_the_target_answering_takes_the_transferors_place() -> None:
    office, call, ivan, sergey = olga_transfers_ivan_to_sergey()
    sergey.answers()
    assert (call.state.name, call.b_leg) == ("talking", sergey)
    assert office.tones[-1].closed
    assert hears(ivan, sergey) and hears(sergey, ivan)
    record = office.record(call)
    assert (record["transferred_to"], record["answered_by"]) == ("103", "102")
    sergey.hangs_up()
    assert ivan.sent[-1] == "end"
    assert office.finished == [call]


def test_a_target_not_answering_rings_the_transferor_back_who_takes_the_call_again() -> None:
    office, call, ivan, sergey = olga_transfers_ivan_to_sergey()
    office.after(29.9)
    assert sergey.sent[-1:] != ["end"]
    office.after(0.2)  # [calls] ring_timeout
    assert sergey.sent[-1] == "end"
    back = office.legs[-1]
    assert (call.state.name, back.sent) == (
        "transferring",
        ["dial sip:102@pbx.test from <sip:101@pbx.test>"],
    )
    assert not office.tones[-1].closed  # Ivan hears ringback on
    back.answers()
    assert (call.state.name, call.b_leg) == ("talking", back)
    assert hears(ivan, back) and hears(back, ivan)
    assert office.record(call)["transferred_to"] is None


def test_nobody_answering_the_ring_back_either_ends_the_call() -> None:
    office, call, ivan, sergey = olga_transfers_ivan_to_sergey()
    sergey.hangs_up(486)  # busy: Olga is rung back at once
    back = office.legs[-1]
    assert back.sent == ["dial sip:102@pbx.test from <sip:101@pbx.test>"]
    office.after(30.1)
    assert (back.sent[-1], ivan.sent[-1]) == ("end", "end")
    record = office.record(call)
    assert (record["hangup_by"], record["sip_status"], record["reason"]) == (
        "system",
        480,
        "transfer not answered",
    )


def test_the_customer_hanging_up_while_the_target_rings_stops_the_ringing() -> None:
    office, call, ivan, sergey = olga_transfers_ivan_to_sergey()
    ivan.hangs_up()
    assert (sergey.sent[-1], call.state.name) == ("end", "ended")
    assert office.tones[-1].closed
    assert office.record(call)["hangup_by"] == "caller"
