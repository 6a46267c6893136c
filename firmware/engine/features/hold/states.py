"""A call on hold: the other party hears music, and a forgetful holder is reminded."""

from __future__ import annotations

import logging
from dataclasses import replace

from firmware.config.schema import Hold as HoldSettings
from firmware.engine.call import Call, Destination, Event
from firmware.engine.leg import Leg
from firmware.engine.media import Music
from firmware.engine.states import State, Talking, hung_up

log = logging.getLogger(__name__)


class Held(State):
    """``holder`` pressed hold; the other party waits with music until the holder resumes.

    Nothing needs cutting: pjsua renews the holder's stream for the re-INVITE,
    which takes down its connections in the bridge, and ``Talking`` connects
    the renewed one on resume. After ``remind_after`` the holder's phone rings
    for ``remind_ring`` (a reminder); after ``recall_after`` it rings until
    answered or the ring time is up, and again ``recall_after`` later. Answering
    either takes the waiting party back on that new call, and the held one
    ends. ``recall`` is None when the holder is no extension of the box (a
    customer who holds is never rung). Either may hang up, which ends the
    call as when talking.
    """

    name = "held"
    expects = frozenset(
        {
            Event.A_ENDED,
            Event.B_ANSWERED,
            Event.B_ENDED,
            Event.B_RINGING,
            Event.HOLD_RECALL,
            Event.HOLD_REMINDER,
        }
    )

    def __init__(
        self,
        holder: Leg,
        *,
        music: Music,
        settings: HoldSettings,
        recall: Destination | None,
    ) -> None:
        self.holder = holder
        self.music = music
        self.settings = settings
        self.recall = recall

    def _waiting(self, call: Call) -> Leg | None:
        other = call.other(self.holder)
        return other if isinstance(other, Leg) else None

    def enter(self, call: Call) -> None:
        waiting = self._waiting(call)
        if waiting is not None and waiting.audio is not None:
            self.music.to(waiting.audio)
        log.info("call %s: the %s leg holds", call.record, self.holder.role)
        if self.recall is None:
            return
        first = self.settings.remind_after or self.settings.recall_after
        if first:
            kind = Event.HOLD_REMINDER if self.settings.remind_after else Event.HOLD_RECALL
            call.set_timer(first, kind)

    def handle(self, call: Call, event: Event) -> State | None:
        leg = call.event_leg
        ringing = leg is not None and leg in call.candidates.values()
        if event is Event.RESUMED and leg is self.holder:
            call.stop_ringing()
            return Talking(resumed=True)
        if event is Event.HOLD_REMINDER:
            later = self.settings.recall_after - self.settings.remind_after
            if self.settings.recall_after:
                call.set_timer(later, Event.HOLD_RECALL)
            self._ring(call, self.settings.remind_ring)
        elif event is Event.HOLD_RECALL:
            call.set_timer(self.settings.recall_after, Event.HOLD_RECALL)
            self._ring(call, self._ring_time())
        elif event is Event.B_ANSWERED and ringing and isinstance(leg, Leg):
            log.info("call %s: the holder took the call back on a recall", call.record)
            call.replace(self.holder, leg)
            return Talking(resumed=True)
        elif event is Event.B_ENDED and ringing and leg is not None:
            call.forget(leg)  # the reminder or recall went unanswered: still on hold
        elif event in (Event.A_MEDIA, Event.B_MEDIA):
            waiting = self._waiting(call)
            if leg is waiting and waiting is not None and waiting.audio is not None:
                self.music.to(waiting.audio)  # its stream was renewed while held
        elif event in (Event.A_ENDED, Event.B_ENDED):
            call.stop_ringing()
            return hung_up(call, event)
        return None

    def _ring_time(self) -> float:
        assert self.recall is not None
        return self.recall.ring_timeout

    def _ring(self, call: Call, seconds: float) -> None:
        """Rings the holder's phone for ``seconds`` beside the held call."""
        assert self.recall is not None
        if call.candidates:
            return  # still ringing from the last time
        call.ring(replace(self.recall, ring_timeout=seconds, key="recall"))
        call.plan_timers.append(call.ctx.loop.call_later(seconds, call.stop_ringing))

    def leave(self, call: Call) -> None:
        waiting = self._waiting(call)
        if waiting is not None and waiting.audio is not None:
            self.music.away_from(waiting.audio)
