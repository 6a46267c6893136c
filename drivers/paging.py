"""Paging zones: a speaker output with its amplifier's power relay, a chime and priorities.

A zone plays in blocks on the scheduler it is given, so what reaches the sink is
exactly what was played: an interrupted page stops at the block it reached. The
sink is a sounddevice output stream on a real board and a WAV file on ``sim``.

Priorities (emergency > page > background music): a higher one cuts a lower one
off at once; one of equal or lower priority is refused while another plays (the
caller hears busy), so nobody's page is queued to play minutes later, out of date.
"""

from __future__ import annotations

import logging
import wave
from enum import IntEnum
from pathlib import Path
from typing import BinaryIO, Protocol

import numpy as np
import numpy.typing as npt
import sounddevice

from drivers.relay import Relay
from drivers.timing import Cancellable, Scheduler

log = logging.getLogger(__name__)

Samples = npt.NDArray[np.int16]
#: How much audio each scheduler tick hands the sink.
BLOCK_SECONDS = 0.1
#: The chime before an announcement: a falling two-tone "ding-dong".
CHIME_TONES = ((880.0, 0.3), (660.0, 0.4))
CHIME_LEVEL = 0.4


class Priority(IntEnum):
    MUSIC = 1
    PAGE = 2
    EMERGENCY = 3


class AudioSink(Protocol):
    def write(self, block: Samples) -> None: ...

    def close(self) -> None: ...


class SoundDeviceSink:
    """A sound card output by its sounddevice name (``"USB Audio"``), its own stream."""

    def __init__(self, device: str, samplerate: int) -> None:
        self._stream = sounddevice.OutputStream(
            device=device, samplerate=samplerate, channels=1, dtype="int16", latency="high"
        )
        self._stream.start()

    def write(self, block: Samples) -> None:
        self._stream.write(block.reshape(-1, 1))

    def close(self) -> None:
        self._stream.stop()
        self._stream.close()


class WavSink:
    """The speaker's simulated twin: a 16-bit mono WAV of everything the zone played, in
    order; the header is kept current so another process may read it while it grows."""

    def __init__(self, path: Path, samplerate: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._raw = path.open("wb")
        self._file = wave.open(self._raw, "wb")  # noqa: SIM115  # open while the zone is
        self._file.setnchannels(1)
        self._file.setsampwidth(2)
        self._file.setframerate(samplerate)

    def write(self, block: Samples) -> None:
        self._file.writeframes(block.astype("<i2").tobytes())
        self._raw.flush()  # a reader sees each block as it is played

    def close(self) -> None:
        self._file.close()
        self._raw.close()


def read_wav(source: Path | BinaryIO, samplerate: int) -> Samples:
    """A 16-bit WAV's audio, mono, at ``samplerate`` (prompts and recordings are 8 kHz)."""
    with wave.open(str(source) if isinstance(source, Path) else source, "rb") as wav:
        if wav.getsampwidth() != 2:
            raise ValueError(f"{source}: not 16-bit audio")
        rate, channels = wav.getframerate(), wav.getnchannels()
        audio = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    audio = audio.reshape(-1, channels).mean(axis=1)
    if rate != samplerate and len(audio):
        count = round(len(audio) * samplerate / rate)
        audio = np.interp(np.arange(count) * rate / samplerate, np.arange(len(audio)), audio)
    out: Samples = audio.astype(np.int16)
    return out


def chime(samplerate: int) -> Samples:
    """The chime that makes people listen before an announcement."""
    parts = []
    for freq, seconds in CHIME_TONES:
        t = np.arange(round(seconds * samplerate)) / samplerate
        fade = np.minimum(1.0, np.minimum(t, seconds - t) / 0.02)
        parts.append(np.sin(2 * np.pi * freq * t) * fade * CHIME_LEVEL * 32767)
    return np.concatenate(parts).astype(np.int16)


class PagingZone:
    def __init__(
        self,
        name: str,
        *,
        sink: AudioSink,
        samplerate: int,
        scheduler: Scheduler,
        amp: Relay | None = None,
    ) -> None:
        self.name = name
        self.samplerate = samplerate
        self._sink = sink
        self._scheduler = scheduler
        self._amp = amp
        #: Seconds the amplifier is powered before the audio starts; set from pbx.toml.
        self.amp_lead = 1.0
        self.chime_enabled = True
        self.playing: Priority | None = None
        self._queue: Samples = np.zeros(0, dtype=np.int16)
        self._tick: Cancellable | None = None

    def may_play(self, priority: Priority) -> bool:
        return self.playing is None or priority > self.playing

    def play(self, audio: Samples, priority: Priority) -> bool:
        """Plays ``audio`` (mono, the zone's rate), a page or emergency after the chime;
        False when something of equal or higher priority is playing."""
        if not self.may_play(priority):
            log.info("zone %s: %s refused, %s playing", self.name, priority.name, self.playing)
            return False
        if self._tick is not None:
            self._tick.cancel()
            log.info("zone %s: %s cut off by %s", self.name, self.playing, priority.name)
        self.playing = priority
        announce = self.chime_enabled and priority >= Priority.PAGE
        self._queue = np.concatenate([chime(self.samplerate), audio]) if announce else audio
        if self._amp is not None and not self._amp.energised:
            self._amp.switch(True)
            self._tick = self._scheduler.call_later(self.amp_lead, self._feed)
        else:
            self._feed()
        return True

    def _feed(self) -> None:
        size = round(BLOCK_SECONDS * self.samplerate)
        block, self._queue = self._queue[:size], self._queue[size:]
        if not len(block):
            self._finished()
            return
        try:
            self._sink.write(block)
        except Exception:  # a dead sound card ends the page, not the box
            log.exception("zone %s: the output failed", self.name)
            self._finished()
            return
        self._tick = self._scheduler.call_later(BLOCK_SECONDS, self._feed)

    def _finished(self) -> None:
        self._tick = None
        self.playing = None
        if self._amp is not None:
            self._amp.switch(False)

    def status(self) -> dict[str, object]:
        return {
            "playing": self.playing.name.lower() if self.playing else None,
            "amp": self._amp.name if self._amp is not None else None,
        }

    def close(self) -> None:
        if self._tick is not None:
            self._tick.cancel()
        self._sink.close()
