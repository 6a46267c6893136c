"""Hold from the phone: the held party hears music on hold, and the call comes back."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from firmware.prompts.music import NOTES
from tests.support.box import Box
from tests.support.calls import CALLEE_TONE, CALLER_TONE, talking
from tests.support.phone import Phone

pytestmark = pytest.mark.sip

#: The music's notes are 0.4 s each: a window of one note finds it.
NOTE_WINDOW = 0.35


#: Short hold timers, so a forgotten hold is reminded and recalled within seconds.
HOLD_TIMES = """
[hold]
remind_after = 1.5
remind_ring = 1
recall_after = 3.5
"""


def hears_music(phone: Phone, call: int) -> None:
    for note in NOTES[:3]:
        phone.wait_heard(note, call, timeout=5, last_s=NOTE_WINDOW)


@pytest.mark.parametrize("holder", ["callee", "caller"])
def test_the_held_party_hears_music_until_the_holder_resumes(
    box: Box, phone_factory: Callable[[str], Phone], holder: str
) -> None:
    ivan, olga, out, inc = talking(box, phone_factory)
    if holder == "callee":
        holding, holds, waiting, waits, voice = olga, inc, ivan, out, CALLEE_TONE
    else:
        holding, holds, waiting, waits, voice = ivan, out, olga, inc, CALLER_TONE

    holding.hold(holds)
    hears_music(waiting, waits)
    assert not waiting.heard(voice, waits, last_s=1.0)
    assert box.command("status")["calls"][0]["state"] == "held"

    holding.resume(holds)
    waiting.wait_heard(voice, waits)
    holding.wait_heard(CALLER_TONE if holder == "callee" else CALLEE_TONE, holds)
    assert not any(waiting.heard(note, waits, last_s=NOTE_WINDOW) for note in NOTES)

    waiting.hangup(waits)
    holding.wait_state(holds, "disconnected")
    [row] = box.closed_calls(1)
    assert (row["disposition"], row["answered_by"]) == ("answered", "102")


def test_hanging_up_while_held_ends_the_call_for_both(
    box: Box, phone_factory: Callable[[str], Phone]
) -> None:
    ivan, olga, out, inc = talking(box, phone_factory)
    olga.hold(inc)
    hears_music(ivan, out)
    ivan.hangup(out)
    olga.wait_state(inc, "disconnected")
    [row] = box.closed_calls(1)
    assert (row["disposition"], row["hangup_by"]) == ("answered", "caller")


@pytest.mark.parametrize("holder", ["callee", "caller"])
def test_a_forgotten_hold_reminds_the_holder_then_rings_them_back(
    box_factory: Callable[..., Box], phone_factory: Callable[[str], Phone], holder: str
) -> None:
    box = box_factory(extra=HOLD_TIMES)
    ivan, olga, out, inc = talking(box, phone_factory)
    olga.auto_answer(None)  # from now on she answers by hand
    if holder == "callee":
        holding, holds, waiting, waits, voice = olga, inc, ivan, out, CALLEE_TONE
    else:
        holding, holds, waiting, waits, voice = ivan, out, olga, inc, CALLER_TONE

    held_at = time.monotonic()
    holding.hold(holds)
    reminder = holding.wait_event("incoming", timeout=5)
    assert reminder["t"] - held_at >= 1.2
    assert reminder["headers"].get("alert-info") == "<urn:alert:service:recall>"
    assert reminder["from_user"] == ("101" if holder == "callee" else "102")  # who waits
    ended = holding.wait_state(reminder["call"], "disconnected", timeout=5)
    assert ended["t"] - reminder["t"] < 2.0  # a short reminder ring, not answered
    hears_music(waiting, waits)  # still on hold

    recall = holding.wait_event("incoming", timeout=5)
    assert recall["t"] - held_at >= 3.2
    holding.answer(recall["call"])
    waiting.wait_heard(voice, waits)  # back with the holder, on the recall
    holding.wait_heard(CALLER_TONE if holder == "callee" else CALLEE_TONE, recall["call"])
    holding.wait_state(holds, "disconnected")  # the held call is gone
    waiting.hangup(waits)
    holding.wait_state(recall["call"], "disconnected")
    [row] = box.closed_calls(1)
    assert (row["disposition"], row["answered_by"]) == ("answered", "102")
