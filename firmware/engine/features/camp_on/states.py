"""Camp-on for an outside line: offering the queue, confirming it, and the line-free callback.

When every permitted line is busy the caller may be rung back as soon as one
frees; the callback rings the extension distinctly, beeps once answered, and
only then dials the number on the line kept for it.
"""

from __future__ import annotations

from collections.abc import Callable

from firmware.engine.call import Call, Destination, Event, RingPlan
from firmware.engine.states import PLAYOUT, Dialing, Ended, Refusing, State
from firmware.routing.outcome import Disposition, Party, Refusal
from firmware.routing.toneplans import Tone
from firmware.store.cdr import CallEnd

LINES_BUSY = Refusal(
    486, "All Lines Busy", Tone.BUSY, Disposition.FAILED, "all permitted lines busy"
)


class OfferingLine(State):
    """All permitted lines are busy: the caller may ask to be rung back when one frees.

    The call is answered so that any phone can send the key; in ``auto`` mode
    the caller is queued without being asked.
    """

    name = "offering_line"
    expects = frozenset({Event.A_ENDED, Event.PROMPT_DONE, Event.TONE_TIMEOUT})

    def __init__(self, *, key: str | None, wait: float, queue: Callable[[Call], None]) -> None:
        self.key = key
        self.wait = wait
        self.queue = queue

    def enter(self, call: Call) -> None:
        call.answer_caller()
        if self.key is None:
            call.ctx.loop.post(lambda: call.dispatch(Event.DTMF))
        else:
            call.announce(["lines_busy_offer"])

    def _wanted(self, call: Call) -> bool:
        return self.key is None or call.digits.endswith(self.key)

    def _queued(self, call: Call) -> State:
        self.queue(call)
        return Queued()

    def handle(self, call: Call, event: Event) -> State | None:
        if event is Event.A_MEDIA and self.key is not None:
            call.announce(["lines_busy_offer"])
        elif event is Event.PROMPT_DONE:
            call.set_timer(self.wait, Event.TONE_TIMEOUT)
        elif event is Event.DTMF and self._wanted(call):
            return self._queued(call)
        elif event is Event.TONE_TIMEOUT:
            return Refusing(LINES_BUSY)
        elif event is Event.A_ENDED:
            call.finish(CallEnd(Disposition.FAILED, Party.CALLER, 200, LINES_BUSY.why))
            return Ended()
        return None


class Queued(State):
    """The request is in the line queue: confirm it to the caller and hang up."""

    name = "queued"
    expects = frozenset({Event.A_ENDED, Event.PLAYED_OUT, Event.PROMPT_DONE})

    def enter(self, call: Call) -> None:
        call.cancel_timer()
        call.finish(
            CallEnd(Disposition.QUEUED, Party.SYSTEM, 200, "all lines busy; queued for a line")
        )
        call.announce(["lines_busy_queued"])

    def handle(self, call: Call, event: Event) -> State | None:
        if event is Event.A_MEDIA:
            call.announce(["lines_busy_queued"])
        elif event is Event.PROMPT_DONE:
            call.set_timer(PLAYOUT, Event.PLAYED_OUT)
        elif event is Event.PLAYED_OUT:
            call.a_leg.end()
            return Ended()
        elif event is Event.A_ENDED:
            return Ended()
        return None


class CallingBack(State):
    """A line is free for a queued request: ring the extension, distinctly."""

    name = "calling_back"
    expects = frozenset({Event.A_ENDED, Event.RING_TIMEOUT})

    def __init__(self, *, ring_timeout: float, warning: float, then: Destination) -> None:
        self.ring_timeout = ring_timeout
        self.warning = warning
        self.then = then

    def enter(self, call: Call) -> None:
        call.set_timer(self.ring_timeout, Event.RING_TIMEOUT)

    def handle(self, call: Call, event: Event) -> State | None:
        if event is Event.A_ANSWERED:
            call.cancel_timer()
            return WarningTone(self.warning, self.then)
        if event is Event.RING_TIMEOUT:
            call.a_leg.end()
            call.finish(CallEnd(Disposition.NO_ANSWER, Party.SYSTEM, 480, "line-free callback"))
            return Ended()
        if event is Event.A_ENDED:
            status = call.a_leg.status
            busy = status in (486, 600, 603)
            call.finish(
                CallEnd(
                    Disposition.BUSY if busy else Disposition.NO_ANSWER,
                    Party.CALLEE if busy else Party.SYSTEM,
                    status,
                    "line-free callback",
                )
            )
            return Ended()
        return None


class WarningTone(State):
    """A short tone tells the person who answered that the outside number is being dialed."""

    name = "warning"
    expects = frozenset({Event.A_ENDED, Event.TONE_TIMEOUT})

    def __init__(self, seconds: float, then: Destination) -> None:
        self.seconds = seconds
        self.then = then

    def enter(self, call: Call) -> None:
        call.play(Tone.WARNING)
        call.set_timer(self.seconds, Event.TONE_TIMEOUT)

    def handle(self, call: Call, event: Event) -> State | None:
        if event is Event.A_MEDIA:
            call.media_follows_a()
        elif event is Event.TONE_TIMEOUT:
            call.quiet()
            return Dialing(RingPlan.single(self.then))
        elif event is Event.A_ENDED:
            call.finish(CallEnd(Disposition.CANCELLED, Party.CALLER, 200, "line-free callback"))
            return Ended()
        return None
