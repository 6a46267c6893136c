"""Line-in for music on hold (a radio, a player), and when it counts as gone quiet.

The sound card's input (sounddevice InputStream) or, on ``sim``, a WAV file
stands for it. ``LineInMonitor`` takes what arrives, keeps a short buffer for
the engine's hold music to read from, and decides whether the line is live:
below ``silence_dbfs`` for ``silence_seconds`` of audio it has fallen back
(the engine plays the shipped file); ``RESUME_SECONDS`` of sound again and it
is live. Time here is counted in samples received, so the decision follows the
audio itself, not a clock.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import sounddevice

from drivers.paging import BLOCK_SECONDS, Samples, read_wav
from drivers.timing import Scheduler

log = logging.getLogger(__name__)

RESUME_SECONDS = 1.0
#: Most audio kept for the hold music to read: beyond that the oldest is dropped.
BUFFER_SECONDS = 2.0
FULL_SCALE = 32768.0


class LineInSource(Protocol):
    def start(self, deliver: Callable[[Samples], None]) -> None: ...

    def close(self) -> None: ...


class SoundDeviceLineIn:
    """A sound card input by its sounddevice name; blocks arrive on PortAudio's thread."""

    def __init__(self, device: str, samplerate: int) -> None:
        self._device = device
        self.samplerate = samplerate
        self._stream: sounddevice.InputStream | None = None

    def start(self, deliver: Callable[[Samples], None]) -> None:
        def callback(indata: Any, frames: int, time: Any, status: Any) -> None:
            deliver(np.asarray(indata[:, 0], dtype=np.int16).copy())

        self._stream = sounddevice.InputStream(
            device=self._device,
            samplerate=self.samplerate,
            channels=1,
            dtype="int16",
            callback=callback,
        )
        self._stream.start()

    def close(self) -> None:
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()


class WavLineIn:
    """The simulated twin: plays ``path`` in once it exists, block by block on the
    scheduler; before that and after its end the line is silent, as a radio switched off."""

    def __init__(self, path: Path, samplerate: int, scheduler: Scheduler) -> None:
        self.path = path
        self.samplerate = samplerate
        self._scheduler = scheduler
        self._audio: Samples | None = None
        self._deliver: Callable[[Samples], None] | None = None
        self._closed = False

    def start(self, deliver: Callable[[Samples], None]) -> None:
        self._deliver = deliver
        self._tick()

    def _tick(self) -> None:
        if self._closed or self._deliver is None:
            return
        size = round(BLOCK_SECONDS * self.samplerate)
        if self._audio is None and self.path.is_file():
            self._audio = read_wav(self.path, self.samplerate)
        if self._audio is not None and len(self._audio):
            block, self._audio = self._audio[:size], self._audio[size:]
        else:
            block = np.zeros(size, dtype=np.int16)
        self._deliver(block)
        self._scheduler.call_later(BLOCK_SECONDS, self._tick)

    def close(self) -> None:
        self._closed = True


class LineInMonitor:
    """Fed from the source's thread, read from the media thread, decided on the engine's."""

    def __init__(
        self,
        *,
        samplerate: int,
        out_rate: int,
        silence_dbfs: float = -50.0,
        silence_seconds: float = 5.0,
    ) -> None:
        self.samplerate = samplerate
        self.out_rate = out_rate
        self.silence_dbfs = silence_dbfs
        self.silence_seconds = silence_seconds
        self.live = False
        self.level_dbfs = float("-inf")
        self._quiet = 0  # samples in a row below the threshold
        self._loud = 0  # samples in a row above it
        self._lock = threading.Lock()
        self._buffer: deque[Samples] = deque()
        self._buffered = 0

    def feed(self, block: Samples) -> None:
        rms = (
            float(np.sqrt(np.mean((block.astype(np.float64) / FULL_SCALE) ** 2)))
            if len(block)
            else 0.0
        )
        self.level_dbfs = 20 * np.log10(rms) if rms > 0 else float("-inf")
        if self.level_dbfs < self.silence_dbfs:
            self._quiet, self._loud = self._quiet + len(block), 0
        else:
            self._quiet, self._loud = 0, self._loud + len(block)
        if self.live and self._quiet >= self.silence_seconds * self.samplerate:
            self.live = False
            log.warning(
                "line-in silent for %g s: hold music falls back to the file", self.silence_seconds
            )
        elif not self.live and self._loud >= RESUME_SECONDS * self.samplerate:
            self.live = True
            log.info("line-in live: hold music from line-in")
        self._keep(_resample(block, self.samplerate, self.out_rate))

    def _keep(self, block: Samples) -> None:
        with self._lock:
            self._buffer.append(block)
            self._buffered += len(block)
            while self._buffered > BUFFER_SECONDS * self.out_rate and len(self._buffer) > 1:
                self._buffered -= len(self._buffer.popleft())

    def read(self, count: int) -> Samples:
        """The next ``count`` samples at ``out_rate``; silence where none have arrived."""
        parts: list[Samples] = []
        wanted = count
        with self._lock:
            while wanted and self._buffer:
                head = self._buffer[0]
                parts.append(head[:wanted])
                if len(head) > wanted:
                    self._buffer[0] = head[wanted:]
                else:
                    self._buffer.popleft()
                taken = min(wanted, len(head))
                self._buffered -= taken
                wanted -= taken
        parts.append(np.zeros(wanted, dtype=np.int16))
        return np.concatenate(parts)

    def status(self) -> dict[str, object]:
        level = None if self.level_dbfs == float("-inf") else round(self.level_dbfs, 1)
        return {"live": self.live, "level_dbfs": level}


def _resample(block: Samples, rate: int, out_rate: int) -> Samples:
    if rate == out_rate or not len(block):
        return block
    count = round(len(block) * out_rate / rate)
    out: Samples = np.interp(
        np.arange(count) * rate / out_rate, np.arange(len(block)), block
    ).astype(np.int16)
    return out
