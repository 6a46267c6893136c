"""A call on hold: the holder hears nothing from the box, the other party hears music."""

from __future__ import annotations

import logging

from firmware.engine.call import Call, Event
from firmware.engine.leg import Leg
from firmware.engine.media import Music
from firmware.engine.states import State, Talking, hung_up

log = logging.getLogger(__name__)


class Held(State):
    """``holder`` pressed hold; the other party waits with music until the holder resumes.

    Nothing needs cutting: pjsua renews the holder's stream for the re-INVITE,
    which takes down its connections in the bridge, and ``Talking`` connects
    the renewed one on resume. Either may hang up, which ends the call as when
    talking.
    """

    name = "held"

    def __init__(self, holder: Leg, music: Music) -> None:
        self.holder = holder
        self.music = music

    def _waiting(self, call: Call) -> Leg | None:
        other = call.b_leg if self.holder is call.a_leg else call.a_leg
        return other if isinstance(other, Leg) else None

    def enter(self, call: Call) -> None:
        waiting = self._waiting(call)
        if waiting is None:
            return
        if waiting.audio is not None:
            self.music.to(waiting.audio)
        log.info(
            "call %s: %s leg holds, the %s leg hears music",
            call.record,
            self.holder.role,
            waiting.role,
        )

    def handle(self, call: Call, event: Event) -> State | None:
        if event is Event.RESUMED and call.event_leg is self.holder:
            return Talking(resumed=True)
        if event in (Event.A_MEDIA, Event.B_MEDIA):
            waiting = self._waiting(call)
            if call.event_leg is waiting and waiting is not None and waiting.audio is not None:
                self.music.to(waiting.audio)  # its stream was renewed while held
            return None
        return hung_up(call, event)

    def leave(self, call: Call) -> None:
        waiting = self._waiting(call)
        if waiting is not None and waiting.audio is not None:
            self.music.away_from(waiting.audio)
