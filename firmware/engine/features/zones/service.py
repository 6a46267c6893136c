"""The zone paging service: pages dialed by code, and announcements played over zones.

Which code pages which zone is ``firmware.routing.zones``'s; the zones are the
board's ``drivers.paging.PagingZone``s. A zone that fails is logged; the call
that paged it ends as it would have.
"""

from __future__ import annotations

import io
import logging
import wave
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pjsua2 as pj

from drivers.paging import PagingZone, Priority, read_wav
from firmware.config import Config
from firmware.engine.call import Call
from firmware.engine.features.zones.states import Recording
from firmware.engine.leg import Leg
from firmware.engine.media import record_to
from firmware.engine.states import Refusing
from firmware.prompts.library import PromptLibrary, PromptMissing
from firmware.routing.outcome import Disposition, Refusal
from firmware.routing.toneplans import Tone
from firmware.routing.zones import PageZone, zone_page

log = logging.getLogger(__name__)

ZONE_BUSY = Refusal(
    486, "Busy Here", Tone.BUSY, Disposition.BUSY, "the zone is playing a page as urgent"
)
NO_ZONE = Refusal(
    503, "Service Unavailable", Tone.CONGESTION, Disposition.FAILED, "the zone's output failed"
)
#: pjmedia's WAV header: RIFF, fmt and data chunk headers, the data size last.
WAV_HEADER = 44
PRIORITY = {"page": Priority.PAGE, "emergency": Priority.EMERGENCY}


class NewCall(Protocol):
    def __call__(self, a_leg: Leg, *, caller: str, dialed: str, **details: Any) -> Call: ...


class ZonePaging:
    def __init__(
        self,
        *,
        config: Callable[[], Config],
        zones: dict[str, PagingZone],
        new_call: NewCall,
        recordings: Path,
        prompts: PromptLibrary,
        recorder: Callable[[Path], pj.AudioMediaRecorder] = record_to,
    ) -> None:
        """``recordings``: where a page is kept between the phone and the zone;
        ``recorder``: opens a page's file to record into (tests give one that needs no
        sound device)."""
        self.recorder = recorder
        self._config = config
        self.zones = zones
        self._new_call = new_call
        self._recordings = recordings
        self._prompts = prompts

    def max_seconds(self) -> float:
        return self._config().paging.max_seconds

    def route(self, a_leg: Leg, extension: str, dialed: str) -> bool:
        """Takes a call dialing a zone's paging code; False for every other call."""
        page = zone_page(self._config(), dialed)
        if page is None:
            return False
        call = self._new_call(a_leg, caller=extension, dialed=dialed, direction="internal")
        zone = self.zones.get(page.zone)
        if zone is None:
            call.start(Refusing(NO_ZONE))
        elif not zone.may_play(PRIORITY[page.urgency]):
            call.start(Refusing(ZONE_BUSY))
        else:
            self._recordings.mkdir(parents=True, exist_ok=True)
            call.start(Recording(self, page, self._recordings / f"page-{call.record}.wav"))
        return True

    def recorded(self, page: PageZone, path: Path) -> None:
        """The phone's page is recorded: the zone plays it, and the file goes."""
        zone = self.zones.get(page.zone)
        try:
            if zone is not None:
                audio = read_wav(_recorded_wav(path), zone.samplerate)
                self._play(zone, audio, PRIORITY[page.urgency])
        except (OSError, ValueError, EOFError, wave.Error):
            log.exception("page for zone %s not played", page.zone)
        path.unlink(missing_ok=True)

    def announce(self, prompts: Sequence[str | Path]) -> None:
        """Plays ``prompts`` (names or files) over [paging] park_zones, as a page."""
        files = [p if isinstance(p, Path) else self._prompt_file(p) for p in prompts]
        for name in self._config().paging.park_zones:
            zone = self.zones.get(name)
            if zone is None:
                continue
            try:
                audio = [read_wav(f, zone.samplerate) for f in files if f is not None]
            except (OSError, ValueError, EOFError, wave.Error):
                log.exception("announcement for zone %s not played", name)
                continue
            self._play(
                zone, np.concatenate(audio) if audio else np.zeros(0, np.int16), Priority.PAGE
            )

    def _prompt_file(self, name: str) -> Path | None:
        try:
            return self._prompts.path(name, self._config().system.language)
        except PromptMissing as exc:
            log.error("%s", exc)
            return None

    def _play(self, zone: PagingZone, audio: np.ndarray[Any, Any], priority: Priority) -> None:
        paging = self._config().paging
        zone.amp_lead, zone.chime_enabled = paging.amp_lead, paging.chime
        try:
            zone.play(audio, priority)
        except Exception:  # the zone failing never stops the call that paged it
            log.exception("zone %s failed", zone.name)


def _recorded_wav(path: Path) -> io.BytesIO:
    """A recording pjmedia still holds open: its header says 0 bytes until the library
    lets the file go (pjproject 2.17 keeps it past the recorder's destruction), so the
    sizes are set from the file's length before ``wave`` reads it."""
    data = bytearray(path.read_bytes())
    if len(data) < WAV_HEADER:
        raise ValueError(f"{path}: no audio recorded")
    data[4:8] = (len(data) - 8).to_bytes(4, "little")
    data[40:44] = (len(data) - WAV_HEADER).to_bytes(4, "little")
    return io.BytesIO(bytes(data))
