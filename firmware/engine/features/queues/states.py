"""A caller waiting in a department's queue."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from firmware.config.inbound import QueueSettings
from firmware.engine.call import Call, Event
from firmware.engine.loop import Timer
from firmware.engine.states import PLAYOUT, Ended, State
from firmware.routing.outcome import Disposition, Party
from firmware.store.cdr import CallEnd

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from firmware.engine.features.queues.service import Queues, Waiter


class Waiting(State):
    """In a department's queue with music, told its place now and then, may ask for a callback."""

    name = "queued"
    expects = frozenset(
        {
            Event.ANNOUNCE,
            Event.A_ENDED,
            Event.MAX_WAIT,
            Event.OFFER,
            Event.PLAYED_OUT,
            Event.PROMPT_DONE,
        }
    )

    def __init__(self, waiter: Waiter, queues: Queues, *, first: bool) -> None:
        self.waiter = waiter
        self.queues = queues
        self.first = first
        self.timers: list[Timer] = []
        self.callback = False

    @property
    def settings(self) -> QueueSettings:
        return self.waiter.department.queue

    def enter(self, call: Call) -> None:
        call.answer_caller()
        remaining = self.queues.until_over_time(self.waiter)
        if remaining is not None:
            self.timers.append(call.ctx.loop.call_later(remaining, self.queues.move_over_time))
        if call.a_leg.audio is not None:
            self._start(call)

    def _start(self, call: Call) -> None:
        if self.first and self.settings.announce_position:
            self._announce(call)
        else:
            self._music(call, on=True)
            self._next_announcement(call)

    def _next_announcement(self, call: Call) -> None:
        """The next one comes ``announce_every`` after this one has been heard."""
        self.timers.append(
            call.ctx.loop.call_later(
                self.settings.announce_every, lambda: call.dispatch(Event.ANNOUNCE)
            )
        )

    def _music(self, call: Call, *, on: bool) -> None:
        audio = call.a_leg.audio
        if audio is None:
            return
        music = self.queues.music(self.waiter.department.number)
        (music.to if on else music.away_from)(audio)

    def _announce(self, call: Call, *, offer: bool = False) -> None:
        place = self.queues.position(self.waiter)
        if place is None:  # no longer queued: asked for a callback
            return
        self._music(call, on=False)
        prompts = ["queue_position", f"num_{min(place, 20)}"]
        if offer and self.settings.offer_callback:
            prompts.append("queue_still_waiting")
        call.announce(prompts)

    def handle(self, call: Call, event: Event) -> State | None:
        if event is Event.A_MEDIA:
            self._start(call)
        elif event is Event.PROMPT_DONE:
            if self.callback:
                call.set_timer(PLAYOUT, Event.PLAYED_OUT)
                return None
            self._music(call, on=True)
            self._next_announcement(call)
        elif event is Event.PLAYED_OUT:
            call.a_leg.end()
        elif event is Event.ANNOUNCE and not self.callback:
            self._announce(call, offer=True)
        elif event is Event.DTMF and self.settings.offer_callback and not self.callback:
            if call.digits.endswith(self.settings.callback_key):
                self.queues.request_callback(self.waiter)
                self.waiter.run.outcome = "callback"
                self.callback = True
                self._music(call, on=False)
                call.announce(["queue_callback_confirmed"])
        elif event is Event.OFFER and not self.callback:
            return self.queues.offer(self.waiter)
        elif event is Event.MAX_WAIT and not self.callback:
            self.queues.leave(self.waiter)
            self._music(call, on=False)
            return self.waiter.run.overflow(self.settings.overflow)
        elif event is Event.A_ENDED:
            self.queues.leave(self.waiter)
            if self.callback:
                call.finish(CallEnd(Disposition.NO_ANSWER, Party.SYSTEM, 200, "callback requested"))
            else:
                call.finish(CallEnd(Disposition.CANCELLED, Party.CALLER, 487, "left the queue"))
            return Ended()
        return None

    def leave(self, call: Call) -> None:
        for timer in self.timers:
            timer.cancel()
