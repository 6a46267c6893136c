"""Extensions calling each other through the box, proved by what each phone hears."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest

from tests.support import audio
from tests.support.box import Box
from tests.support.calls import talking
from tests.support.phone import Phone
from tests.support.wait import wait_until

pytestmark = pytest.mark.sip

CALLER_TONE, CALLEE_TONE, NOBODY = 700, 1100, 1700
RU_TONE = 425


def registered(phone_factory: Callable[[str], Phone], box: Box, number: str) -> Phone:
    phone = phone_factory(f"ext{number}")
    phone.register(box, number)
    return phone


def ring(
    box: Box, caller: Phone, callee: Phone, number: str, headers: dict[str, str] | None = None
) -> tuple[int, int]:
    """Places a call and waits until the caller hears ringback; returns both call handles."""
    out = caller.call(f"sip:{number}@{box.domain}", headers=headers)
    incoming = callee.wait_event("incoming")
    caller.wait_heard(RU_TONE, out)
    return out, incoming["call"]


def talk(
    box: Box, caller: Phone, callee: Phone, number: str, headers: dict[str, str] | None = None
) -> tuple[int, int]:
    out, inc = ring(box, caller, callee, number, headers)
    callee.answer(inc)
    caller.wait_state(out, "confirmed")
    caller.wait_heard(CALLEE_TONE, out)
    callee.wait_heard(CALLER_TONE, inc)
    return out, inc


def assert_cadence(runs: list[tuple[bool, int]], on_ms: int, off_ms: int) -> None:
    """Every whole run of tone and of silence lasts what the tone plan says, within 60 ms."""
    assert {on for on, _ in runs} == {True, False}, runs
    for on, ms in runs:
        assert abs(ms - (on_ms if on else off_ms)) <= 60, runs


@pytest.fixture
def pair(phone_factory, box: Box) -> tuple[Phone, Phone]:
    alice, bob = (registered(phone_factory, box, n) for n in ("101", "102"))
    alice.play(CALLER_TONE)
    bob.play(CALLEE_TONE)
    return alice, bob


def test_two_extensions_talk_with_audio_both_ways(box: Box, pair) -> None:
    alice, bob = pair
    out, inc = talk(box, alice, bob, "102")
    assert "<sip:101@" in bob.events("incoming")[0]["from_uri"]
    assert not alice.heard(CALLER_TONE, out) and not alice.heard(NOBODY, out)
    assert not bob.heard(CALLEE_TONE, inc) and not bob.heard(NOBODY, inc)
    alice.hangup(out)
    bob.wait_state(inc, "disconnected")
    [row] = box.closed_calls(1)
    assert (row["caller"], row["callee"], row["disposition"], row["hangup_by"]) == (
        "101",
        "102",
        "answered",
        "caller",
    )
    assert row["answered_at"] > row["started_at"] and row["talk_seconds"] > 0
    printed = box.cli("cdr", "--json")
    assert printed.returncode == 0, printed.stderr
    assert json.loads(printed.stdout) == [row]
    # A pjsua2 Call object deleted late clears the slot of a newer call: none may linger.
    assert box.command("status")["legs_alive"] == 0


def test_callee_hangs_up_and_the_caller_is_released(box: Box, pair) -> None:
    alice, bob = pair
    out, inc = talk(box, alice, bob, "102")
    bob.hangup(inc)
    alice.wait_state(out, "disconnected")
    [row] = box.closed_calls(1)
    assert (row["disposition"], row["hangup_by"]) == ("answered", "callee")


def test_caller_cancels_while_it_rings(box: Box, pair) -> None:
    alice, bob = pair
    out, inc = ring(box, alice, bob, "102")
    alice.hangup(out)
    assert bob.wait_state(inc, "disconnected")["code"] == 487
    [row] = box.closed_calls(1)
    assert (row["disposition"], row["hangup_by"], row["talk_seconds"]) == (
        "cancelled",
        "caller",
        0,
    )


def test_busy_callee_gives_busy_tone_then_486(box_factory, phone_factory) -> None:
    box = box_factory(tone_timeout=2.5)
    alice, bob = (registered(phone_factory, box, n) for n in ("101", "102"))
    bob.auto_answer(486)
    out = alice.call(f"sip:102@{box.domain}")
    assert alice.wait_state(out, "disconnected", timeout=6)["code"] == 486
    assert_cadence(audio.cadence(alice.recorded(out), RU_TONE), 400, 400)
    [row] = box.closed_calls(1)
    assert (row["disposition"], row["hangup_by"], row["sip_status"]) == ("busy", "callee", 486)


def test_no_answer_ends_after_the_ring_time_with_russian_ringback(box_factory, phone_factory):
    box = box_factory(ring_timeout=5.5)
    alice, bob = (registered(phone_factory, box, n) for n in ("101", "102"))
    out = alice.call(f"sip:102@{box.domain}")
    inc = bob.wait_event("incoming")["call"]
    assert alice.wait_state(out, "disconnected", timeout=10)["code"] == 480
    bob.wait_state(inc, "disconnected")
    assert_cadence(audio.cadence(alice.recorded(out), RU_TONE), 800, 3200)
    [row] = box.closed_calls(1)
    assert (row["disposition"], row["hangup_by"]) == ("no_answer", "system")


def test_german_box_plays_german_ringback_and_busy(box_factory, phone_factory) -> None:
    box = box_factory(region="DE", ring_timeout=6.5, tone_timeout=2.5)
    alice, bob = (registered(phone_factory, box, n) for n in ("101", "102"))
    out = alice.call(f"sip:102@{box.domain}")
    inc = bob.wait_event("incoming")["call"]
    alice.wait_state(out, "disconnected", timeout=10)
    bob.wait_state(inc, "disconnected")
    assert_cadence(audio.cadence(alice.recorded(out), RU_TONE), 1000, 4000)

    bob.auto_answer(486)
    out = alice.call(f"sip:102@{box.domain}")
    alice.wait_state(out, "disconnected", timeout=6)
    assert_cadence(audio.cadence(alice.recorded(out), RU_TONE), 480, 480)


def test_unknown_number_hears_number_unobtainable_then_404(box: Box, pair) -> None:
    alice, _ = pair
    out = alice.call(f"sip:555@{box.domain}")
    alice.wait_heard(950, out, last_s=0.3)
    alice.wait_heard(1400, out, last_s=0.3)
    alice.wait_heard(1800, out, last_s=0.3)
    assert alice.wait_state(out, "disconnected")["code"] == 404
    [row] = box.closed_calls(1)
    assert (row["callee"], row["disposition"], row["reason"]) == ("555", "failed", "no such number")


def test_unregistered_extension_gives_congestion_then_480(box: Box, pair) -> None:
    alice, _ = pair
    out = alice.call(f"sip:103@{box.domain}")
    alice.wait_heard(RU_TONE, out, last_s=0.15)
    assert alice.wait_state(out, "disconnected")["code"] == 480
    assert_cadence(audio.cadence(alice.recorded(out), RU_TONE), 200, 200)
    [row] = box.closed_calls(1)
    assert (row["callee"], row["disposition"], row["sip_status"]) == ("103", "failed", 480)


def test_phones_on_tcp_talk_too(phone_factory, box: Box) -> None:
    alice, bob = phone_factory("tcp101"), phone_factory("tcp102")
    alice.register(box, "101", transport="tcp")
    bob.register(box, "102", transport="tcp")
    alice.play(CALLER_TONE)
    bob.play(CALLEE_TONE)
    out, inc = talk(box, alice, bob, "102")
    bob.hangup(inc)
    alice.wait_state(out, "disconnected")


def test_a_phone_that_moves_its_audio_mid_call_is_heard_and_hears_at_its_new_port(
    box: Box, phone_factory: Callable[[str], Phone]
) -> None:
    ivan, olga, out, inc = talking(box, phone_factory)
    streams = len(olga.events("media_active"))
    olga.move(inc)  # a DECT handset handed over to another base re-INVITEs from there
    wait_until(
        lambda: len(olga.events("media_active")) > streams, timeout=5, what="olga's new stream"
    )
    moved = time.monotonic()
    olga.wait_heard(CALLER_TONE, inc, since_t=moved)
    ivan.wait_heard(CALLEE_TONE, out, since_t=moved)
