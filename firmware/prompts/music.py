"""Music on hold, made at build time rather than shipped: no licence to track, nothing to download.

A calm arpeggio (C5, E5, G5, E5) with soft attacks, 8 kHz mono like the prompts,
about a quarter of full scale so announcements stand out over it. Its notes are
exported so tests can tell a caller hears the music.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from firmware.prompts import RATE

NOTES = (523.25, 659.25, 783.99, 659.25)
NOTE_SECONDS = 0.4
BARS = 8
LEVEL = 0.25


def render_music(path: Path) -> bool:
    """Writes the default music to ``path`` unless it is already there; True when written."""
    if path.exists():
        return False
    t = np.arange(int(NOTE_SECONDS * RATE)) / RATE
    envelope = np.minimum(1.0, t / 0.03) * np.exp(-2.5 * t)
    notes = [np.sin(2 * np.pi * f * t) * envelope for f in NOTES]
    samples = np.concatenate(notes * BARS) * LEVEL
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((samples * 32767).astype("<i2").tobytes())
    return True
