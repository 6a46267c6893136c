"""Hold music that comes from the line-in while it is live, and from the file otherwise.

The line-in reaches the conference bridge as a pjsua2 ``AudioMediaPort`` whose
frames are read from the driver's buffer (``drivers.line_in.LineInMonitor``);
pjmedia asks for them on its clock thread. Every ``CHECK_SECONDS`` the engine
looks at the monitor's decision and moves every listener to the other source
when it changed, so a held caller hears the radio, then the file, then the
radio again without being touched.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable
from pathlib import Path

import pjsua2 as pj

from drivers.line_in import LineInMonitor
from firmware.config.hardware import HoldMusic
from firmware.engine.loop import EngineLoop
from firmware.engine.media import Music

log = logging.getLogger(__name__)

CHECK_SECONDS = 0.5
FRAME_MS = 20


class LineInPort(pj.AudioMediaPort):  # type: ignore[misc]
    def __init__(self, monitor: LineInMonitor) -> None:
        super().__init__()
        self._monitor = monitor
        self._frame = monitor.out_rate * FRAME_MS // 1000
        audio = pj.MediaFormatAudio()
        audio.type = pj.PJMEDIA_TYPE_AUDIO
        audio.clockRate = monitor.out_rate
        audio.channelCount = 1
        audio.bitsPerSample = 16
        audio.frameTimeUsec = FRAME_MS * 1000
        self.createPort("line-in", audio)

    def onFrameRequested(self, frame: pj.MediaFrame) -> None:  # noqa: N802  # pjsua2's name
        samples = self._monitor.read(self._frame)
        frame.type = pj.PJMEDIA_TYPE_AUDIO
        frame.buf = pj.ByteVector(samples.astype("<i2").tobytes())
        frame.size = len(samples) * 2

    def onFrameReceived(self, frame: pj.MediaFrame) -> None:  # noqa: N802
        """Nobody speaks into the line-in."""


class LineInMusic(Music):
    def __init__(
        self,
        path: Path,
        *,
        monitor: LineInMonitor,
        loop: EngineLoop,
        settings: Callable[[], HoldMusic],
    ) -> None:
        super().__init__(path)
        self._monitor = monitor
        self._settings = settings
        self._port = LineInPort(monitor)
        self._listeners: dict[int, pj.AudioMedia] = {}
        self.live = False
        self._apply()
        _watch(weakref.ref(self), loop)

    def _source(self) -> pj.AudioMedia:
        return self._port if self.live else self._player

    def to(self, audio: pj.AudioMedia) -> None:
        self._listeners[audio.getPortId()] = audio
        self._source().startTransmit(audio)

    def away_from(self, audio: pj.AudioMedia) -> None:
        self._listeners.pop(audio.getPortId(), None)
        self._source().stopTransmit(audio)

    def check(self) -> None:
        """Follows the monitor: every listener moves when the line-in came or went."""
        self._apply()
        if self._monitor.live == self.live:
            return
        old = self._source()
        self.live = self._monitor.live
        log.info("hold music from %s", "the line-in" if self.live else "the file")
        for audio in self._listeners.values():
            old.stopTransmit(audio)
            self._source().startTransmit(audio)

    def _apply(self) -> None:
        settings = self._settings()
        self._monitor.silence_dbfs = settings.silence_dbfs
        self._monitor.silence_seconds = settings.silence_seconds


def _watch(music: weakref.ref[LineInMusic], loop: EngineLoop) -> None:
    """Checks while the music exists: the hold feature drops it before the library goes."""
    alive = music()
    if alive is not None:
        alive.check()
        loop.call_later(CHECK_SECONDS, lambda: _watch(music, loop))


def hold_music(
    monitor: LineInMonitor | None, *, loop: EngineLoop, settings: Callable[[], HoldMusic]
) -> Callable[[Path], Music]:
    """What makes the hold music: the line-in one where the board has a line-in and
    [hold_music] takes it, the file player otherwise."""

    def make(path: Path) -> Music:
        if monitor is None or not settings().line_in:
            return Music(path)
        return LineInMusic(path, monitor=monitor, loop=loop, settings=settings)

    return make
