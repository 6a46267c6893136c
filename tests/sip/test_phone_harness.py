"""The test phones themselves, calling each other directly with no PBX in between.

If these fail, every call test would fail for a reason that is not the box's.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.support.phone import Phone

pytestmark = pytest.mark.sip

A_TONE, B_TONE, NOBODY = 700, 1100, 1700

Factory = Callable[[str], Phone]


def ring(caller: Phone, callee: Phone, **headers: str) -> tuple[int, int]:
    """Calls ``callee`` straight at its port; returns the caller's and the callee's handles."""
    out = caller.call(f"sip:{callee.name}@127.0.0.1:{callee.port}", headers=headers)
    incoming = callee.wait_event("incoming")
    return out, incoming["call"]


def test_two_phones_hear_each_other_and_hang_up(phone_factory: Factory) -> None:
    a, b = phone_factory("a"), phone_factory("b")
    a.play(A_TONE)
    b.play(B_TONE)
    out, inc = ring(a, b)
    assert b.events("incoming")[0]["from_user"] == "a"
    b.answer(inc)
    a.wait_state(out, "confirmed")
    b.wait_state(inc, "confirmed")
    a.wait_heard(B_TONE, out)
    b.wait_heard(A_TONE, inc)
    assert not a.heard(A_TONE, out) and not a.heard(NOBODY, out), a.heard_tones(out)
    assert not b.heard(B_TONE, inc) and not b.heard(NOBODY, inc), b.heard_tones(inc)
    a.hangup(out)
    assert b.wait_state(inc, "disconnected")["code"] == 200
    a.wait_state(out, "disconnected")


def test_a_busy_callee_rejects_with_its_code(phone_factory: Factory) -> None:
    a, b = phone_factory("a"), phone_factory("b")
    out, inc = ring(a, b)
    b.reject(inc, 486)
    assert a.wait_state(out, "disconnected")["code"] == 486


def test_early_media_is_recorded_before_the_answer(phone_factory: Factory) -> None:
    a, b = phone_factory("a"), phone_factory("b")
    b.play(B_TONE)
    out, inc = ring(a, b, **{"Alert-Info": "<http://127.0.0.1/ring>;info=alert-internal"})
    assert b.events("incoming")[0]["headers"]["alert-info"].endswith("info=alert-internal")
    b.answer(inc, 183)
    a.wait_state(out, "early")
    a.wait_heard(B_TONE, out)
    assert not any(e["state"] == "confirmed" for e in a.events("call_state"))


def test_dtmf_and_auto_answer(phone_factory: Factory) -> None:
    a, b = phone_factory("a"), phone_factory("b")
    b.auto_answer(200)
    out = a.call(b.uri)
    a.wait_state(out, "confirmed")
    inc = b.wait_event("incoming")["call"]
    b.wait_event("media_active", call=inc)
    a.dtmf(out, "12#")
    digits = [b.wait_event("dtmf", call=inc)["digit"] for _ in range(3)]
    assert digits == ["1", "2", "#"]


def test_a_tone_stops_being_heard_when_the_phone_stops_playing(phone_factory: Factory) -> None:
    a, b = phone_factory("a"), phone_factory("b")
    b.auto_answer(200)
    out = a.call(b.uri)
    inc = b.wait_event("incoming")["call"]
    b.wait_event("media_active", call=inc)
    a.play(A_TONE)
    b.wait_heard(A_TONE, inc)
    stopped = time.monotonic()
    a.play(None)
    a.play(NOBODY)
    b.wait_heard(NOBODY, inc, since_t=stopped)
    assert not b.heard(A_TONE, inc, last_s=0.4)
    a.hangup(out)


def test_an_agent_goes_away_when_its_driver_does(phone_factory: Factory) -> None:
    a = phone_factory("a")
    assert a.alive
    assert a.close() == 0
    assert not a.alive
