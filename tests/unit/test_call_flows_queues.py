"""A caller in a department's queue on fake legs: music, the place, offers to members."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from firmware.config import parse_config
from firmware.routing.toneplans import Tone
from tests.support.fake_leg import FakeLeg
from tests.support.inbound_office import InboundOffice
from tests.support.office_lines import ANALOG_LINE
from tests.unit.offices import IVAN, OLGA
from tests.unit.test_call_flows import hears

OFFICE = (
    '[system]\nsip_domain = "pbx.local"\nregion = "RU"\narea_code = "495"\n\n'
    + IVAN
    + OLGA
    + ANALOG_LINE
    + """
[[departments]]
number = "600"
name = "Sales"
members = ["101", "102"]
step = 10
queue = { max_wait = 60, overflow = "voicemail:600" }

[[scenarios]]
name = "sales"
steps = [{ kind = "queue", department = "600" }]
"""
)
CUSTOMER = "+79161234567"


@pytest.fixture
def inbound(tmp_path: Path) -> Iterator[InboundOffice]:
    office = InboundOffice(parse_config(OFFICE), tmp_path)
    yield office
    office.close()


def music_heard_by(inbound: InboundOffice) -> set[object]:
    return set().union(*(m.heard_by for m in inbound.music.values()))


def test_a_member_who_answers_the_offer_talks_with_the_caller(inbound: InboundOffice) -> None:
    office = inbound.office
    call, customer, _ = inbound.arrives(CUSTOMER, "sales")
    assert (call.state.name, customer.sent) == ("queued", ["respond 200"])
    office.after(0)  # the queue looks for a free member
    [ivan] = office.legs
    assert (call.state.name, ivan.sent) == (
        "dialing",
        ["dial sip:101@pbx.local from <sip:+79161234567@pbx.local>"],
    )
    ivan.rings()
    assert office.tones == []  # no ringback: the caller waits in the queue as before
    ivan.answers()
    assert call.state.name == "talking"
    assert hears(customer, ivan) and hears(ivan, customer)
    assert customer.audio not in music_heard_by(inbound)
    assert office.record(call)["answered_by"] == "101"
    [sales] = inbound.queues.status()
    assert (sales["waiting"], sales["offered"], sales["answered"]) == (0, 1, 1)


def test_a_member_who_does_not_answer_is_passed_over_and_the_next_one_is_offered(
    inbound: InboundOffice,
) -> None:
    office = inbound.office
    call, customer, _ = inbound.arrives(CUSTOMER, "sales")
    office.after(0)
    [ivan] = office.legs
    ivan.rings()
    office.after(9.9)
    assert ivan.sent[-1:] != ["end"]
    office.after(0.2)  # the department's step: ten seconds each
    assert ivan.sent[-1] == "end"
    assert call.state.name == "queued"  # the caller keeps the place, with the music
    assert customer.audio in music_heard_by(inbound)
    office.after(0)
    olga = office.legs[-1]
    assert (call.state.name, olga.sent) == (
        "dialing",
        ["dial sip:102@pbx.local from <sip:+79161234567@pbx.local>"],
    )
    olga.answers()
    assert hears(customer, olga) and hears(olga, customer)
    assert customer.audio not in music_heard_by(inbound)
    assert office.record(call)["answered_by"] == "102"


def test_with_nobody_free_the_caller_hears_the_place_then_music_until_a_member_comes(
    tmp_path: Path,
) -> None:
    inbound = InboundOffice(parse_config(OFFICE), tmp_path, online=set())
    office = inbound.office
    call, customer, _ = inbound.arrives(CUSTOMER, "sales")
    office.after(0.3)
    [(names, audio, _)] = office.prompts.playing
    assert (names, audio) == (["queue_position", "num_1"], customer.audio)
    assert customer.audio not in music_heard_by(inbound)  # the place, not over music
    office.prompts.done()
    assert customer.audio in music_heard_by(inbound)
    office.after(39.0)
    assert (office.legs, office.prompts.playing) == ([], [])
    office.after(1.1)  # every 40 s: the place again, and the callback offered
    [(names, _, _)] = office.prompts.playing
    assert names == ["queue_position", "num_1", "queue_still_waiting"]
    office.prompts.done()
    inbound.online.add("102")  # Olga's phone registers
    office.after(1.0)  # the queue looks again each second
    [olga] = office.legs
    assert (call.state.name, olga.user) == ("dialing", "102")
    inbound.close()


def test_a_caller_who_asks_for_a_callback_is_rung_back_once_a_member_is_free(
    tmp_path: Path,
) -> None:
    inbound = InboundOffice(parse_config(OFFICE), tmp_path, online=set())
    office = inbound.office
    call, customer, _ = inbound.arrives(CUSTOMER, "sales")
    office.after(0.3)
    office.prompts.done()  # the place; then music
    customer.keys("1")
    assert customer.audio not in music_heard_by(inbound)
    [(names, _, _)] = office.prompts.playing
    assert names == ["queue_callback_confirmed"]
    office.prompts.done()
    office.after(0.4)
    assert customer.sent[-1] == "end"
    record = office.record(call)
    assert (record["disposition"], record["reason"]) == ("no_answer", "callback requested")
    assert inbound.queues.status()[0]["waiting"] == 0

    inbound.online.add("101")  # Ivan's phone registers: he is rung first, distinctly
    office.after(1.0)
    callback = office.calls[-1]
    ivan = callback.a_leg
    assert isinstance(ivan, FakeLeg)
    assert (callback.state.name, ivan.uri, ivan.headers) == (
        "calling_back",
        "sip:101@pbx.local",
        {"Alert-Info": "<urn:alert:service:recall:callback>"},
    )
    ivan.answers()
    warning = office.tones[-1]
    assert (callback.state.name, warning.tone, warning.heard_by) == (
        "warning",
        Tone.WARNING,
        [ivan.audio],
    )
    office.after(1.0)  # [line_queue] warning_tone, then the customer is dialed on the line
    back = office.legs[-1]
    assert (back.uri, callback.trunks) == ("sip:89161234567@pbx.local", ["city"])
    back.answers()
    assert hears(ivan, back) and hears(back, ivan)
    back.hangs_up()
    done = office.store.execute("SELECT outcome FROM callbacks").fetchone()
    assert done["outcome"] == "answered"
    inbound.close()


def test_a_caller_who_waited_max_wait_goes_to_the_overflow(tmp_path: Path) -> None:
    inbound = InboundOffice(parse_config(OFFICE), tmp_path, online=set())
    office = inbound.office
    call, customer, _ = inbound.arrives(CUSTOMER, "sales")
    office.after(0.3)
    office.prompts.done()
    office.after(40.0)
    office.prompts.done()  # the place again at 40 s; then music
    office.after(19.0)
    assert (call.state.name, inbound.queues.status()[0]["waiting"]) == ("queued", 1)
    assert customer.audio in music_heard_by(inbound)
    office.after(1.0)  # [[departments]] queue.max_wait, on the office's clock
    assert (call.state.name, inbound.queues.status()[0]["waiting"]) == ("voicemail", 0)
    assert customer.audio not in music_heard_by(inbound)
    office.after(0.3)
    assert office.prompts.playing[-1][:2] == (["voicemail_greeting"], customer.audio)
    inbound.close()
