"""Music on hold from the sim board's line-in, and the fall back to the file when it goes quiet.

The sim board's line-in is the WAV file run/line_in.wav, played in from when it
appears; after its end the line is silent.
"""

from __future__ import annotations

import wave
from collections.abc import Callable

import numpy as np
import pytest

from tests.sip.test_hold import hears_music
from tests.support.box import Box
from tests.support.calls import talking
from tests.support.phone import Phone
from tests.support.wait import wait_until

pytestmark = pytest.mark.sip

RADIO = 500.0
RATE = 16000  # boards/sim.toml's line-in


def line_in(box: Box) -> dict[str, object]:
    found: dict[str, object] = box.command("status")["hardware"]["line_in"]
    return found


def test_held_callers_hear_the_line_in_then_the_file_when_it_goes_quiet(
    box_factory: Callable[..., Box], phone_factory: Callable[[str], Phone]
) -> None:
    box = box_factory(extra="\n[hold_music]\nsilence_seconds = 1.5\n")
    ivan, olga, out, inc = talking(box, phone_factory)
    assert line_in(box)["live"] is False
    t = np.arange(round(10.0 * RATE)) / RATE
    with wave.open(str(box.home.run_dir / "line_in.wav"), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes((np.sin(2 * np.pi * RADIO * t) * 0.3 * 32767).astype("<i2").tobytes())
    wait_until(lambda: line_in(box)["live"], timeout=10, what="the line-in live")
    olga.hold(inc)
    ivan.wait_heard(RADIO, out, timeout=5)
    wait_until(lambda: not line_in(box)["live"], timeout=20, what="the line-in gone quiet")
    hears_music(ivan, out)
    shown = box.cli("status").stdout
    assert "line-in: fallen back to the file" in shown
