"""The zone paging state: the paging phone hears a beep, speaks, hangs up; the zone plays it.

Record-then-play: the phone's words are recorded and played into the zone when
the phone hangs up (or keys #, or time is up). A live page would put the
speaker's own voice back into the room its phone is in, a feedback loop on
most office layouts; the delay also lets the chime play first, in full.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import pjsua2 as pj

from firmware.engine.call import Call, Event
from firmware.engine.states import Ended, State
from firmware.routing.outcome import Disposition, Party
from firmware.routing.toneplans import Tone
from firmware.routing.zones import PageZone
from firmware.store.cdr import CallEnd

if TYPE_CHECKING:
    from firmware.engine.features.zones.service import ZonePaging

log = logging.getLogger(__name__)

#: The beep that says "speak now", in seconds.
BEEP = 0.5


class Recording(State):
    name = "zone_page"
    expects = frozenset({Event.A_ENDED, Event.TONE_TIMEOUT})

    def __init__(self, paging: ZonePaging, page: PageZone, path: Path) -> None:
        self.paging = paging
        self.page = page
        self.path = path
        self.recorder: pj.AudioMediaRecorder | None = None
        self.phase = "beep"

    def enter(self, call: Call) -> None:
        call.answer_caller()
        call.play(Tone.BEEP)
        call.set_timer(BEEP, Event.TONE_TIMEOUT)

    def handle(self, call: Call, event: Event) -> State | None:
        if event is Event.A_MEDIA and self.phase == "beep":
            call.media_follows_a()
        elif event is Event.TONE_TIMEOUT and self.phase == "beep":
            call.quiet()
            self._record(call)
        elif self.phase == "recording" and (
            event is Event.TONE_TIMEOUT or (event is Event.DTMF and call.digits.endswith("#"))
        ):
            self._play()
            call.a_leg.end()
        elif event is Event.A_ENDED:
            self._play()
            call.finish(CallEnd(Disposition.ANSWERED, Party.CALLER, 200, f"page {self.page.zone}"))
            return Ended()
        return None

    def _record(self, call: Call) -> None:
        audio = call.a_leg.audio
        if audio is None:
            return
        self.recorder = self.paging.recorder(self.path)
        audio.startTransmit(self.recorder)
        self.phase = "recording"
        call.digits = ""
        call.set_timer(self.paging.max_seconds(), Event.TONE_TIMEOUT)

    def _play(self) -> None:
        if self.recorder is None:
            return
        self.recorder = None  # closes the file
        self.phase = "played"
        self.paging.recorded(self.page, self.path)
