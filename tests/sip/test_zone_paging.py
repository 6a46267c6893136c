"""Paging zones end to end: a phone pages the hall by code, and a park is announced there.

The engine runs the sim board: the hall zone's speaker is the WAV file
run/zones/hall.wav (everything the zone played, in order), its amplifier a
MockFactory relay shown by ``minipbx status``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from drivers.paging import CHIME_TONES
from tests.sip.test_park import parks
from tests.support.audio import has_tone, read_samples
from tests.support.box import Box
from tests.support.calls import CALLER_TONE, talking
from tests.support.phone import Phone
from tests.support.prompts import heard_sequence, prompt
from tests.support.wait import wait_until

pytestmark = pytest.mark.sip

ZONE_RATE = 16000  # boards/sim.toml's zones
PAGING = """
[paging]
codes = { hall = "*61" }
amp_lead = 0.3
park_zones = ["hall"]
"""
(DING, DING_S), (DONG, DONG_S) = CHIME_TONES
CHIME_S = DING_S + DONG_S


def hall(box: Box) -> Path:
    return box.home.run_dir / "zones" / "hall.wav"


def amp_history(box: Box) -> list[bool]:
    return [on for _, on in box.command("status")["hardware"]["relays"]["amp"]["history"]]


def test_a_phone_pages_the_hall_which_plays_the_chime_then_the_page(
    box_factory: Callable[..., Box], phone_factory: Callable[[str], Phone]
) -> None:
    box = box_factory(extra=PAGING)
    ivan = phone_factory("ext101")
    ivan.register(box, "101")
    ivan.play(CALLER_TONE)
    page = ivan.call(f"sip:*61@{box.domain}")
    pages = box.home.run_dir / "pages"

    def spoken() -> bool:  # two seconds of the page recorded, at 8 or 16 kHz
        return any(f.stat().st_size > 2 * 16000 * 2 for f in pages.glob("page-*.wav"))

    wait_until(spoken, timeout=15, what="the page recorded")
    assert box.command("status")["hardware"]["zones"]["hall"]["playing"] is None
    ivan.hangup(page)
    wait_until(lambda: amp_history(box) == [True, False], timeout=20, what="the page played")
    played = read_samples(hall(box), rate=ZONE_RATE)
    second = ZONE_RATE

    def window(start: float, end: float) -> np.ndarray:
        return played[round(start * second) : round(end * second)]

    assert has_tone(window(0.05, DING_S - 0.05), DING, rate=ZONE_RATE)
    assert has_tone(window(DING_S + 0.05, CHIME_S - 0.05), DONG, rate=ZONE_RATE)
    assert has_tone(window(CHIME_S + 0.2, CHIME_S + 1.5), CALLER_TONE, rate=ZONE_RATE)
    assert len(played) >= (CHIME_S + 2.0) * second
    [row] = box.closed_calls(1)
    assert (row["dialed"], row["reason"]) == ("*61", "page hall")


def test_a_park_is_announced_over_the_hall(
    box_factory: Callable[..., Box], phone_factory: Callable[[str], Phone]
) -> None:
    box = box_factory(extra=PAGING)
    _ivan, reception, _out, inc = talking(box, phone_factory, caller="101", callee="100")
    parks(reception, inc, 1)
    wait_until(lambda: amp_history(box) == [True, False], timeout=20, what="the hall announced")
    played = read_samples(hall(box), rate=ZONE_RATE)
    assert has_tone(played[: round(DING_S * ZONE_RATE) - 800], DING, rate=ZONE_RATE)
    at_8k = played[round(CHIME_S * ZONE_RATE) :: 2]  # the prompts, 8 kHz, were doubled exactly
    assert heard_sequence(at_8k, [prompt("parked_on_line"), prompt("num_1")])
