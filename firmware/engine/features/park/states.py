"""A parked call: the customer waits with music, the parker is told the line and goes."""

from __future__ import annotations

from collections.abc import Callable

from firmware.engine.call import Call, Destination, Event
from firmware.engine.leg import Leg
from firmware.engine.loop import Timer
from firmware.engine.media import Music, unbridge
from firmware.engine.states import PLAYOUT, State, Talking, party_left


class Parked(State):
    """``waiting`` hears music on line ``slot``; the parker hears "parked on line N" and
    their leg ends. Whoever takes the line (or the parker, rung back after
    ``timeout``, again every ``timeout``) takes the parker's place in the call.
    """

    name = "parked"
    expects = frozenset(
        {
            Event.A_ENDED,
            Event.B_ANSWERED,
            Event.B_ENDED,
            Event.B_RINGING,
            Event.PARK_TIMEOUT,
            Event.PROMPT_DONE,
        }
    )

    def __init__(
        self,
        slot: int,
        *,
        parker: Leg,
        waiting: Leg,
        music: Music,
        recall: Destination | None,
        timeout: float,
        release: Callable[[], None],
    ) -> None:
        self.slot = slot
        self.parker = parker
        self.waiting = waiting
        self.music = music
        self.recall = recall
        self.timeout = timeout
        self.release = release
        self.role = parker.role
        self._bye: Timer | None = None

    def enter(self, call: Call) -> None:
        call.cancel_timer()
        call.quiet()
        if self.waiting.audio is not None and self.parker.audio is not None:
            unbridge(self.waiting.audio, self.parker.audio)
        if self.waiting.audio is not None:
            self.music.to(self.waiting.audio)
        call.set_timer(self.timeout, Event.PARK_TIMEOUT)
        if self.parker.audio is None:
            self.parker.end()
            return
        call.prompt = call.ctx.play_prompts(
            ["parked_on_line", f"num_{self.slot}"],
            self.parker.audio,
            lambda: call.dispatch(Event.PROMPT_DONE),
        )

    def handle(self, call: Call, event: Event) -> State | None:
        leg = call.event_leg
        taken = leg is not None and leg in call.candidates.values()
        if event is Event.PROMPT_DONE:
            self._bye = call.ctx.loop.call_later(PLAYOUT, self.parker.end)
        elif event is Event.B_ANSWERED and taken and isinstance(leg, Leg):
            call.seat(leg, self.role)
            return Talking(resumed=True)
        elif event is Event.B_ENDED and taken and leg is not None:
            call.forget(leg)  # the parker did not answer the recall: the call waits on
        elif event is Event.PARK_TIMEOUT:
            call.set_timer(self.timeout, Event.PARK_TIMEOUT)
            if self.recall is not None and not call.candidates:
                call.ring(self.recall)
        elif leg is self.waiting and event in (Event.A_ENDED, Event.B_ENDED):
            return party_left(call, self.waiting)
        return None

    def leave(self, call: Call) -> None:
        if self.waiting.audio is not None:
            self.music.away_from(self.waiting.audio)
        if self._bye is not None:
            self._bye.cancel()
        self.parker.end()  # retrieved before the announcement was over: it goes now
        self.release()
