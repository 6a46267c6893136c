"""Call progress tones of each region, as the national tone plans declare them.

Sources: ITU-T E.180 Supplement 2 (tones in use in national networks), the
entries for the Russian Federation and for Germany (Deutsche Telekom 1TR110).
A tone is a list of segments played in a loop; a segment is a set of
frequencies sounding together for ``on_ms`` followed by ``off_ms`` of silence.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Tone(StrEnum):
    """What the caller is told, by name; the region decides how it sounds."""

    DIAL = "dial"
    RINGBACK = "ringback"
    BUSY = "busy"
    CONGESTION = "congestion"
    UNOBTAINABLE = "unobtainable"
    WARNING = "warning"
    BEEP = "beep"


@dataclass(frozen=True)
class Segment:
    frequencies: tuple[int, ...]
    on_ms: int
    off_ms: int = 0


ToneSpec = tuple[Segment, ...]


def _sit(first: int) -> ToneSpec:
    """Special information tone: three rising 333 ms tones, then a second of silence."""
    return (Segment((first,), 330), Segment((1400,), 330), Segment((1800,), 330, 1000))


#: Short beeps before a line-free callback dials out; 1400 Hz is E.180's warning tone.
_WARNING: ToneSpec = (Segment((1400,), 200, 200),)
#: "Speak after the tone": one long 1 kHz beep (it loops, so the engine stops it).
_BEEP: ToneSpec = (Segment((1000,), 1000),)

TONE_PLANS: dict[str, dict[Tone, ToneSpec]] = {
    "RU": {
        Tone.DIAL: (Segment((425,), 1000),),
        Tone.RINGBACK: (Segment((425,), 800, 3200),),
        Tone.BUSY: (Segment((425,), 400, 400),),
        Tone.CONGESTION: (Segment((425,), 200, 200),),
        Tone.UNOBTAINABLE: _sit(950),
        Tone.WARNING: _WARNING,
        Tone.BEEP: _BEEP,
    },
    "DE": {
        Tone.DIAL: (Segment((425,), 1000),),
        Tone.RINGBACK: (Segment((425,), 1000, 4000),),
        Tone.BUSY: (Segment((425,), 480, 480),),
        Tone.CONGESTION: (Segment((425,), 240, 240),),
        Tone.UNOBTAINABLE: _sit(900),
        Tone.WARNING: _WARNING,
        Tone.BEEP: _BEEP,
    },
}


def tone_for(region: str, tone: Tone) -> ToneSpec:
    return TONE_PLANS[region][tone]
