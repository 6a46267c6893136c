"""The states of an anchored call, one class each, and what moves a call between them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import ClassVar

from firmware.engine.call import Call, Event, RingPlan
from firmware.engine.leg import Leg, LegState
from firmware.engine.media import bridge, listen
from firmware.routing.dialplan import NO_ANSWER, NO_CHANNEL, callee_failed
from firmware.routing.outcome import Disposition, Party, Refusal
from firmware.routing.toneplans import Tone
from firmware.store.cdr import CallEnd

log = logging.getLogger(__name__)


class State:
    """One state of a call. ``expects`` are the events it acts on (beyond the ``AMBIENT``
    ones any state may meet): another reaching it is logged as a defect."""

    name = "state"
    expects: ClassVar[frozenset[Event]] = frozenset()

    def enter(self, call: Call) -> None:
        """Runs once when the call moves into this state."""

    def handle(self, call: Call, event: Event) -> State | None:
        """Returns the next state, or None to stay."""
        return None

    def leave(self, call: Call) -> None:
        """Runs once when the call moves on to another state."""


#: What a state that tried to reach someone does when nobody answered: by default the
#: caller hears why; a scenario goes on to its next step instead.
OnFail = Callable[[Call, Refusal], State]


def refuse(call: Call, refusal: Refusal) -> State:
    return Refusing(refusal)


NOBODY_ANSWERED = Refusal(480, "No Answer", None, Disposition.NO_ANSWER, "nobody answered")


class Dialing(State):
    """Callee legs are being started by the ring plan; the caller waits."""

    name = "dialing"
    expects = frozenset(
        {
            Event.A_ENDED,
            Event.B_ANSWERED,
            Event.B_ENDED,
            Event.B_RINGING,
            Event.NO_CHANNEL,
            Event.PLAN,
            Event.RING_TIMEOUT,
        }
    )

    def __init__(self, plan: RingPlan, on_fail: OnFail = refuse, *, ringback: bool = True) -> None:
        self.plan = plan
        self.on_fail = on_fail
        self.ringback = ringback
        self.done = 0  # actions carried out so far, in order
        self.started = 0.0

    def enter(self, call: Call) -> None:
        self.started = call.ctx.loop.now()
        call.set_timer(self.plan.length, Event.RING_TIMEOUT)
        for action in self.plan.actions:
            if action.at > 0:
                call.plan_timers.append(
                    call.ctx.loop.call_later(action.at, lambda: call.dispatch(Event.PLAN))
                )
        self._due(call, 0.0)

    def _due(self, call: Call, elapsed: float) -> None:
        """Carries out the actions whose time has come; NO_CHANNEL if nobody could be rung."""
        while self.done < len(self.plan.actions) and self.plan.actions[self.done].at <= elapsed:
            action = self.plan.actions[self.done]
            self.done += 1
            for key in action.stop:
                leg = call.candidates.pop(key, None)
                if leg is not None:
                    leg.end()
            for destination in action.start:
                call.ring(destination)
        if not call.candidates:
            call.ctx.loop.post(lambda: call.dispatch(Event.NO_CHANNEL))

    def _more_to_come(self) -> bool:
        return self.done < len(self.plan.actions)

    def handle(self, call: Call, event: Event) -> State | None:
        if event is Event.B_RINGING and call.event_leg in call.candidates.values():
            return Ringing(self)
        return self.before_answer(call, event)

    def before_answer(self, call: Call, event: Event) -> State | None:
        """The caller leaving, a callee answering or failing, or time running out."""
        leg = call.event_leg
        if event is Event.B_ANSWERED and leg is not None and leg in call.candidates.values():
            call.promote(leg)
            return Talking()
        if event is Event.A_ENDED:
            call.stop_ringing()
            call.finish(CallEnd(Disposition.CANCELLED, Party.CALLER, 487, "caller hung up"))
            return Ended()
        if event is Event.PLAN:
            self._due(call, call.ctx.loop.now() - self.started)
            return None
        if event is Event.B_ENDED and leg is not None:
            call.forget(leg)
            if call.candidates or self._more_to_come():
                return None
            call.cancel_timer()
            failed = callee_failed(leg.status, leg.reason) if self.plan.is_single else None
            return self.on_fail(call, failed or NOBODY_ANSWERED)
        if event is Event.NO_CHANNEL and not call.candidates and not self._more_to_come():
            call.cancel_timer()
            return self.on_fail(call, NO_CHANNEL)
        if event is Event.RING_TIMEOUT:
            call.cancel_timer()
            call.stop_ringing()
            return self.on_fail(call, NO_ANSWER)
        return None


class Ringing(State):
    """A callee rings; the caller hears the region's ringback, or a lone callee's early media."""

    name = "ringing"
    expects = Dialing.expects

    def __init__(self, dialing: Dialing) -> None:
        self.dialing = dialing

    def enter(self, call: Call) -> None:
        if self.dialing.ringback:
            call.early_media_to_caller()
            call.play(Tone.RINGBACK)

    def handle(self, call: Call, event: Event) -> State | None:
        leg = call.event_leg
        if event is Event.A_MEDIA:
            call.media_follows_a()
            return None
        if event is Event.B_MEDIA and self.dialing.plan.is_single and leg is not None:
            if leg.state is LegState.EARLY and call.a_leg.audio and leg.audio:
                call.quiet()
                listen(leg.audio, call.a_leg.audio)
            return None
        return self.dialing.before_answer(call, event)


class Talking(State):
    """Both parties hear each other; either may hang up or put the other on hold.

    ``resumed``: the call was answered long ago (back from hold, back from a transfer).
    """

    name = "talking"
    expects = frozenset({Event.A_ENDED, Event.B_ENDED, Event.TONE_TIMEOUT})

    def __init__(self, *, resumed: bool = False) -> None:
        self.resumed = resumed

    def enter(self, call: Call) -> None:
        call.cancel_timer()
        call.quiet()
        if isinstance(call.b_leg, Leg) and not self.resumed:
            call.answered(call.b_leg)
        call.answer_caller()
        self._connect(call)

    def _connect(self, call: Call) -> None:
        if call.a_leg.audio is not None and call.b_leg and call.b_leg.audio is not None:
            bridge(call.a_leg.audio, call.b_leg.audio)

    def handle(self, call: Call, event: Event) -> State | None:
        if event in (Event.A_MEDIA, Event.B_MEDIA):
            self._connect(call)
            return None
        leg = call.event_leg
        party = isinstance(leg, Leg) and leg in (call.a_leg, call.b_leg)
        if event is Event.HELD and party and isinstance(leg, Leg):
            return call.ctx.hold(call, leg)
        if event in (Event.DTMF, Event.B_DTMF) and party and isinstance(leg, Leg):
            return call.ctx.keyed(call, leg, False)
        if event is Event.TONE_TIMEOUT:
            keying = [p for p in (call.a_leg, call.b_leg) if isinstance(p, Leg) and p.keyed]
            return call.ctx.keyed(call, keying[0], True) if keying else None
        return hung_up(call, event)


def hung_up(call: Call, event: Event) -> State | None:
    """A connected call whose caller or callee hangs up ends for both; None otherwise."""
    if event is Event.A_ENDED:
        if call.b_leg is not None:
            call.b_leg.end()
        call.finish(CallEnd(Disposition.ANSWERED, Party.CALLER, 200))
        return Ended()
    if event is Event.B_ENDED and call.event_leg is call.b_leg:
        call.a_leg.end()
        call.finish(CallEnd(Disposition.ANSWERED, Party.CALLEE, 200))
        return Ended()
    return None


def party_left(call: Call, party: Leg) -> State:
    """The one party still in the call (parked, being transferred) hung up: nobody is
    rung any more and the call is over."""
    call.cancel_timer()
    call.stop_ringing()
    by = Party.CALLER if party is call.a_leg else Party.CALLEE
    call.finish(CallEnd(Disposition.ANSWERED, by, 200))
    return Ended()


#: Longest wait for an announcement to be heard, should the caller's media never come up.
PROMPT_GUARD = 30.0
#: After the last frame of a prompt has left the engine the caller's jitter buffer still
#: holds some; hanging up at once would cut the last word.
PLAYOUT = 0.4


class Refusing(State):
    """The call will not connect: the caller hears why, then gets the SIP answer.

    Why is an announcement when the refusal has one, else a tone for
    ``tone_timeout``; both go as early media unless the call was answered.
    """

    name = "refusing"
    #: B_ENDED: a callee stopped ringing just before the refusal.
    expects = frozenset(
        {Event.A_ENDED, Event.B_ENDED, Event.PLAYED_OUT, Event.PROMPT_DONE, Event.TONE_TIMEOUT}
    )

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
        elif event is Event.PROMPT_DONE:
            call.set_timer(PLAYOUT, Event.PLAYED_OUT)
        elif event in (Event.TONE_TIMEOUT, Event.PLAYED_OUT):
            self._release(call)
            return Ended()
        elif event is Event.A_ENDED:
            call.finish(CallEnd(r.disposition, r.by, r.status, r.why))
            return Ended()
        return None


class Ended(State):
    name = "ended"
    expects = frozenset({Event.A_ENDED, Event.B_ENDED})


class Confirming(State):
    """A feature code was carried out: a short tone says so, then the box hangs up."""

    name = "confirming"
    expects = frozenset({Event.A_ENDED, Event.TONE_TIMEOUT})

    def __init__(self, what: str) -> None:
        self.what = what

    def enter(self, call: Call) -> None:
        call.answer_caller()
        call.play(Tone.WARNING)
        call.set_timer(1.0, Event.TONE_TIMEOUT)

    def handle(self, call: Call, event: Event) -> State | None:
        if event is Event.A_MEDIA:
            call.media_follows_a()
        elif event is Event.TONE_TIMEOUT:
            call.quiet()
            call.a_leg.end()
        elif event is Event.A_ENDED:
            call.finish(CallEnd(Disposition.ANSWERED, Party.SYSTEM, 200, self.what))
            return Ended()
        return None
