"""Media the engine plays and connects: region tones, looping music and two-way bridges."""

from __future__ import annotations

from pathlib import Path

import pjsua2 as pj

from firmware.routing.toneplans import ToneSpec


class TonePlayer:
    """One region tone, looping from its start, heard by the legs it is sent to."""

    def __init__(self, spec: ToneSpec, *, clock_rate: int = 8000) -> None:
        self._gen = pj.ToneGenerator()
        self._gen.createToneGenerator(clock_rate, 1)
        tones = pj.ToneDescVector()
        for segment in spec:
            desc = pj.ToneDesc()
            desc.freq1 = segment.frequencies[0]
            desc.freq2 = segment.frequencies[1] if len(segment.frequencies) > 1 else 0
            desc.on_msec = segment.on_ms
            desc.off_msec = segment.off_ms
            desc.volume = 0
            desc.flags = 0
            tones.append(desc)
        self._gen.play(tones, True)

    def send_to(self, audio: pj.AudioMedia) -> None:
        self._gen.startTransmit(audio)

    def close(self) -> None:
        self._gen.stop()
        self._gen = None


class Music:
    """A looping player heard by every leg it is sent to: one serves all who wait."""

    def __init__(self, path: Path) -> None:
        self._player = pj.AudioMediaPlayer()
        self._player.createPlayer(str(path), 0)

    def to(self, audio: pj.AudioMedia) -> None:
        self._player.startTransmit(audio)

    def away_from(self, audio: pj.AudioMedia) -> None:
        self._player.stopTransmit(audio)


def record_to(path: Path) -> pj.AudioMediaRecorder:
    """A WAV file that what is sent to it is written into; dropping it closes the file."""
    recorder = pj.AudioMediaRecorder()
    recorder.createRecorder(str(path))
    return recorder


def bridge(a: pj.AudioMedia, b: pj.AudioMedia) -> None:
    """Each side hears the other and never itself."""
    a.startTransmit(b)
    b.startTransmit(a)


def unbridge(a: pj.AudioMedia, b: pj.AudioMedia) -> None:
    """Neither side hears the other any more (a park: the parker hears its announcement)."""
    a.stopTransmit(b)
    b.stopTransmit(a)


def listen(source: pj.AudioMedia, sink: pj.AudioMedia) -> None:
    """One way only: early media from a callee to the caller."""
    source.startTransmit(sink)
