"""Extensions calling each other through the box, proved by what each phone hears."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.support.box import Box
from tests.support.phone import Phone

pytestmark = pytest.mark.sip

CALLER_TONE, CALLEE_TONE, NOBODY = 700, 1100, 1700
RINGBACK = 425


def cdr(box: Box) -> list[dict]:
    result = box.cli("cdr", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def registered(phone_factory: Callable[[str], Phone], box: Box, number: str) -> Phone:
    phone = phone_factory(f"ext{number}")
    phone.register(box, number)
    return phone


def connect(box: Box, caller: Phone, callee: Phone, number: str) -> tuple[int, int]:
    """Places a call, checks the ringback, answers it; returns both call handles."""
    out = caller.call(f"sip:{number}@{box.domain}")
    incoming = callee.wait_event("incoming")
    caller.wait_heard(RINGBACK, out)
    callee.answer(incoming["call"])
    caller.wait_state(out, "confirmed")
    return out, incoming["call"]


def test_two_extensions_talk_with_audio_both_ways(phone_factory, box: Box) -> None:
    alice, bob = (registered(phone_factory, box, n) for n in ("101", "102"))
    alice.play(CALLER_TONE)
    bob.play(CALLEE_TONE)
    out, inc = connect(box, alice, bob, "102")
    assert "<sip:101@" in bob.events("incoming")[0]["from_uri"]
    alice.wait_heard(CALLEE_TONE, out)
    bob.wait_heard(CALLER_TONE, inc)
    assert not alice.heard(CALLER_TONE, out) and not alice.heard(NOBODY, out)
    assert not bob.heard(CALLEE_TONE, inc) and not bob.heard(NOBODY, inc)
    alice.hangup(out)
    bob.wait_state(inc, "disconnected")
    [row] = cdr(box)
    assert (row["caller"], row["callee"], row["disposition"], row["hangup_by"]) == (
        "101",
        "102",
        "answered",
        "caller",
    )
    assert row["answered_at"] and row["ended_at"] and row["talk_seconds"] > 0
