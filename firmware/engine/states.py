"""The states of an anchored call, one class each, and what moves a call between them."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pjsua2 as pj

from firmware.engine.call import Call, Destination, Event
from firmware.engine.leg import Leg, LegState
from firmware.engine.media import bridge, listen
from firmware.routing.dialplan import NO_ANSWER, NO_CHANNEL, callee_failed
from firmware.routing.outcome import Disposition, Party, Refusal
from firmware.routing.toneplans import Tone
from firmware.store.cdr import CallEnd

log = logging.getLogger(__name__)


class State:
    name = "state"

    def enter(self, call: Call) -> None:
        """Runs once when the call moves into this state."""

    def handle(self, call: Call, event: Event) -> State | None:
        """Returns the next state, or None to stay."""
        return None


class Dialing(State):
    """The callee's phone or the outside number is being called; the caller waits."""

    name = "dialing"

    def __init__(self, destination: Destination) -> None:
        self.destination = destination

    def enter(self, call: Call) -> None:
        dest = self.destination
        b_leg = Leg(dest.account or call.ctx.account, role="b", listener=call)
        try:
            b_leg.dial(dest.uri, from_uri=dest.from_uri, headers=dest.headers)
        except pj.Error as exc:
            log.error("call %s: cannot call %s: %s", call.record, dest.uri, exc.info())
            call.ctx.loop.post(lambda: call.dispatch(Event.NO_CHANNEL))
            return
        call.b_leg = b_leg
        call.set_timer(dest.ring_timeout, Event.RING_TIMEOUT)

    def handle(self, call: Call, event: Event) -> State | None:
        if event is Event.B_RINGING:
            return Ringing()
        return _before_answer(call, event)


class Ringing(State):
    """The callee rings; the caller hears the region's ringback, or the callee's early media."""

    name = "ringing"

    def enter(self, call: Call) -> None:
        call.early_media_to_caller()
        call.play(Tone.RINGBACK)

    def handle(self, call: Call, event: Event) -> State | None:
        if event is Event.A_MEDIA:
            call.media_follows_a()
            return None
        if event is Event.B_MEDIA and call.b_leg and call.b_leg.state is LegState.EARLY:
            call.quiet()
            if call.a_leg.audio and call.b_leg.audio:
                listen(call.b_leg.audio, call.a_leg.audio)
            return None
        return _before_answer(call, event)


def _before_answer(call: Call, event: Event) -> State | None:
    """What every state before answer does with the caller leaving, the callee failing or time."""
    if event is Event.B_ANSWERED:
        return Talking()
    if event is Event.A_ENDED:
        if call.b_leg is not None:
            call.b_leg.end()
        call.finish(CallEnd(Disposition.CANCELLED, Party.CALLER, 487, "caller hung up"))
        return Ended()
    if event is Event.B_ENDED:
        assert call.b_leg is not None
        return Refusing(callee_failed(call.b_leg.status, call.b_leg.reason))
    if event is Event.NO_CHANNEL:
        return Refusing(NO_CHANNEL)
    if event is Event.RING_TIMEOUT:
        if call.b_leg is not None:
            call.b_leg.end()
        return Refusing(NO_ANSWER)
    return None


class Talking(State):
    """Both parties hear each other; either may hang up."""

    name = "talking"

    def enter(self, call: Call) -> None:
        call.cancel_timer()
        call.quiet()
        call.ctx.records.answered(call.record)
        call.answer_caller()
        self._connect(call)

    def _connect(self, call: Call) -> None:
        if call.a_leg.audio is not None and call.b_leg and call.b_leg.audio is not None:
            bridge(call.a_leg.audio, call.b_leg.audio)

    def handle(self, call: Call, event: Event) -> State | None:
        if event in (Event.A_MEDIA, Event.B_MEDIA):
            self._connect(call)
            return None
        if event is Event.A_ENDED:
            if call.b_leg is not None:
                call.b_leg.end()
            call.finish(CallEnd(Disposition.ANSWERED, Party.CALLER, 200))
            return Ended()
        if event is Event.B_ENDED:
            call.a_leg.end()
            call.finish(CallEnd(Disposition.ANSWERED, Party.CALLEE, 200))
            return Ended()
        return None


#: Longest wait for an announcement to be heard, should the caller's media never come up.
PROMPT_GUARD = 30.0


class Refusing(State):
    """The call will not connect: the caller hears why, then gets the SIP answer.

    Why is an announcement when the refusal has one, else a tone for
    ``tone_timeout``; both go as early media unless the call was answered.
    """

    name = "refusing"

    def __init__(self, refusal: Refusal) -> None:
        self.refusal = refusal

    def enter(self, call: Call) -> None:
        call.cancel_timer()
        r = self.refusal
        if r.prompt is None and r.tone is None:
            self._release(call)
            return
        call.early_media_to_caller()
        if r.prompt is not None:
            call.announce([r.prompt])
            call.set_timer(PROMPT_GUARD, Event.TONE_TIMEOUT)
        else:
            assert r.tone is not None
            call.play(r.tone)
            call.set_timer(call.ctx.tone_timeout, Event.TONE_TIMEOUT)

    def _release(self, call: Call) -> None:
        r = self.refusal
        call.quiet()
        call.a_leg.end(r.status, r.phrase)
        call.finish(CallEnd(r.disposition, r.by, r.status, r.why))

    def handle(self, call: Call, event: Event) -> State | None:
        r = self.refusal
        if event is Event.A_MEDIA:
            if r.prompt is not None:
                call.announce([r.prompt])
            else:
                call.media_follows_a()
        elif event in (Event.TONE_TIMEOUT, Event.PROMPT_DONE):
            self._release(call)
            return Ended()
        elif event is Event.A_ENDED:
            call.finish(CallEnd(r.disposition, r.by, r.status, r.why))
            return Ended()
        return None


class Ended(State):
    name = "ended"


LINES_BUSY = Refusal(
    486, "All Lines Busy", Tone.BUSY, Disposition.FAILED, "all permitted lines busy"
)


class OfferingLine(State):
    """All permitted lines are busy: the caller may ask to be rung back when one frees.

    The call is answered so that any phone can send the key; in ``auto`` mode
    the caller is queued without being asked.
    """

    name = "offering_line"

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
            call.a_leg.end()
            return Ended()
        elif event is Event.A_ENDED:
            return Ended()
        return None


class CallingBack(State):
    """A line is free for a queued request: ring the extension, distinctly."""

    name = "calling_back"

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
            return Dialing(self.then)
        elif event is Event.A_ENDED:
            call.finish(CallEnd(Disposition.CANCELLED, Party.CALLER, 200, "line-free callback"))
            return Ended()
        return None
