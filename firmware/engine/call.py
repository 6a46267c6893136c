"""A two-party call anchored in the engine: the caller's a_leg and the callee's b_leg.

The flow is a small state machine, one class per state. Every transition is
logged as ``old -> event -> new`` so a call can be followed in the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import pjsua2 as pj

from firmware.engine.leg import EndedLeg, Leg, LegState
from firmware.engine.loop import EngineLoop, Timer
from firmware.engine.media import TonePlayer, bridge, listen
from firmware.routing.dialplan import NO_ANSWER, NO_CHANNEL, RingExtension, callee_failed
from firmware.routing.outcome import Disposition, Party, Refusal
from firmware.routing.toneplans import Tone, ToneSpec
from firmware.store.cdr import CallEnd, CallRecords

log = logging.getLogger(__name__)


class Event(StrEnum):
    A_MEDIA = "a_media"
    A_ENDED = "a_ended"
    B_RINGING = "b_ringing"
    B_MEDIA = "b_media"
    B_ANSWERED = "b_answered"
    B_ENDED = "b_ended"
    RING_TIMEOUT = "ring_timeout"
    NO_CHANNEL = "no_channel"
    TONE_TIMEOUT = "tone_timeout"


@dataclass(frozen=True)
class CallContext:
    """What a call needs from the engine, passed in so tests and flows stay explicit."""

    loop: EngineLoop
    account: pj.Account
    records: CallRecords
    tones: Callable[[Tone], ToneSpec]
    tone_timeout: float
    sip_domain: str
    on_finished: Callable[[Call], None]


class _Ignore:
    """The listener of a leg nobody owns any more."""

    def on_leg_state(self, leg: Leg) -> None:
        pass

    def on_leg_media(self, leg: Leg) -> None:
        pass


IGNORE = _Ignore()


class State:
    name = "state"

    def enter(self, call: Call) -> None:
        """Runs once when the call moves into this state."""

    def handle(self, call: Call, event: Event) -> State | None:
        """Returns the next state, or None to stay."""
        return None


class Call:
    """One anchored call from its arrival to the moment both legs are gone."""

    def __init__(self, ctx: CallContext, a_leg: Leg, *, caller: str, dialed: str) -> None:
        self.ctx = ctx
        self.a_leg: Leg | EndedLeg = a_leg
        self.b_leg: Leg | EndedLeg | None = None
        self.caller = caller
        self.dialed = dialed
        self.record = ctx.records.open(call_id=a_leg.call_id, caller=caller, callee=dialed)
        self.state: State = State()
        self.tone: TonePlayer | None = None
        self.timer: Timer | None = None
        self.end: CallEnd | None = None
        self._pending: list[Callable[[], None]] = []
        a_leg.listener = self

    def __repr__(self) -> str:
        return f"<Call {self.record} {self.caller}->{self.dialed} {self.state.name}>"

    def status(self) -> dict[str, object]:
        """What the control socket shows of a call: who, where it stands, its media flowing."""
        legs = [leg for leg in (self.a_leg, self.b_leg) if leg is not None]
        return {
            "record": self.record,
            "caller": self.caller,
            "dialed": self.dialed,
            "state": self.state.name,
            "legs": [{"role": leg.role, **leg.rtp_counts()} for leg in legs],
        }

    def start(self, first: State) -> None:
        log.info("call %s: %s -> %s", self.record, self.caller, self.dialed)
        self._serially(lambda: self._move(first, "arrived"))

    def dispatch(self, event: Event) -> None:
        self._serially(lambda: self._handle(event))

    def _serially(self, work: Callable[[], None]) -> None:
        """Runs state work one piece at a time, in order.

        Commands on one leg can make pjsua2 report on a leg at once (a BYE sent
        puts that leg in DISCONNECTED before ``hangup`` returns); such events
        wait until the current one has moved the call to its next state.
        """
        self._pending.append(work)
        if len(self._pending) > 1:
            return
        while self._pending:
            self._pending[0]()
            self._pending.pop(0)

    def _handle(self, event: Event) -> None:
        new = self.state.handle(self, event)
        if new is not None:
            self._move(new, event)

    def _move(self, new: State, event: str) -> None:
        log.info("call %s: %s -> %s -> %s", self.record, self.state.name, event, new.name)
        self.state = new
        new.enter(self)

    # LegListener
    def on_leg_state(self, leg: Leg) -> None:
        if leg.state is LegState.DISCONNECTED:
            self.dispatch(Event.A_ENDED if leg is self.a_leg else Event.B_ENDED)
            self._serially(lambda: self._drop(leg))
        elif leg is self.b_leg and leg.state is LegState.EARLY:
            self.dispatch(Event.B_RINGING)
        elif leg is self.b_leg and leg.state is LegState.CONFIRMED:
            self.dispatch(Event.B_ANSWERED)

    def on_leg_media(self, leg: Leg) -> None:
        self.dispatch(Event.A_MEDIA if leg is self.a_leg else Event.B_MEDIA)

    # Helpers the states share.
    def set_timer(self, delay: float, event: Event) -> None:
        self.cancel_timer()
        self.timer = self.ctx.loop.call_later(delay, lambda: self.dispatch(event))

    def cancel_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def play(self, tone: Tone) -> None:
        self.stop_tone()
        self.tone = TonePlayer(self.ctx.tones(tone))
        if self.a_leg.audio is not None:
            self.tone.send_to(self.a_leg.audio)

    def tone_follows_a_media(self) -> None:
        if self.tone is not None and self.a_leg.audio is not None:
            self.tone.send_to(self.a_leg.audio)

    def stop_tone(self) -> None:
        if self.tone is not None:
            self.tone.close()
            self.tone = None

    def early_media_to_caller(self) -> None:
        """Sends 183 once so the caller hears what the engine plays before answer."""
        if self.a_leg.state in (LegState.INCOMING, LegState.NEW):
            self.a_leg.respond(183)

    def finish(self, end: CallEnd) -> None:
        if self.end is None:
            self.end = end
            self.ctx.records.close(self.record, end)
            log.info("call %s: ended %s by %s", self.record, end.disposition, end.hangup_by)

    def _drop(self, leg: Leg) -> None:
        leg.listener = IGNORE
        if leg is self.a_leg:
            self.a_leg = leg.remains()
        elif leg is self.b_leg:
            self.b_leg = leg.remains()
        if all(x is None or isinstance(x, EndedLeg) for x in (self.a_leg, self.b_leg)):
            self.cancel_timer()
            self.stop_tone()
            self.ctx.on_finished(self)

    def hang_up_everything(self, status: int = 503) -> None:
        """The engine is stopping: end both legs now."""
        self.cancel_timer()
        self.stop_tone()
        if self.b_leg is not None:
            self.b_leg.end()
        self.a_leg.end(status)


class Dialing(State):
    """The callee's phone is being called; the caller waits."""

    name = "dialing"

    def __init__(self, target: RingExtension) -> None:
        self.target = target

    def enter(self, call: Call) -> None:
        b_leg = Leg(call.ctx.account, role="b", listener=call)
        domain = call.ctx.sip_domain
        try:
            b_leg.dial(
                f"sip:{self.target.number}@{domain}", from_uri=f"<sip:{call.caller}@{domain}>"
            )
        except pj.Error as exc:
            log.error("call %s: cannot call %s: %s", call.record, self.target.number, exc.info())
            call.ctx.loop.post(lambda: call.dispatch(Event.NO_CHANNEL))
            return
        call.b_leg = b_leg
        call.set_timer(self.target.ring_timeout, Event.RING_TIMEOUT)

    def handle(self, call: Call, event: Event) -> State | None:
        if event is Event.B_RINGING:
            return Ringing()
        return _common(call, event)


class Ringing(State):
    """The callee rings; the caller hears the region's ringback, or the callee's early media."""

    name = "ringing"

    def enter(self, call: Call) -> None:
        call.early_media_to_caller()
        call.play(Tone.RINGBACK)

    def handle(self, call: Call, event: Event) -> State | None:
        if event is Event.A_MEDIA:
            call.tone_follows_a_media()
            return None
        if event is Event.B_MEDIA and call.b_leg and call.b_leg.state is LegState.EARLY:
            call.stop_tone()
            if call.a_leg.audio and call.b_leg.audio:
                listen(call.b_leg.audio, call.a_leg.audio)
            return None
        return _common(call, event)


def _common(call: Call, event: Event) -> State | None:
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
        call.stop_tone()
        call.ctx.records.answered(call.record)
        if call.a_leg.state is not LegState.CONFIRMED:
            call.a_leg.respond(200)
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


class Refusing(State):
    """The call will not connect: the caller hears why for a while, then gets the SIP answer."""

    name = "refusing"

    def __init__(self, refusal: Refusal) -> None:
        self.refusal = refusal

    def enter(self, call: Call) -> None:
        call.cancel_timer()
        if self.refusal.tone is None or call.a_leg.state is LegState.CONFIRMED:
            self._release(call)
            return
        call.early_media_to_caller()
        call.play(self.refusal.tone)
        call.set_timer(call.ctx.tone_timeout, Event.TONE_TIMEOUT)

    def _release(self, call: Call) -> None:
        r = self.refusal
        call.stop_tone()
        call.a_leg.end(r.status, r.phrase)
        call.finish(CallEnd(r.disposition, r.by, r.status, r.why))

    def handle(self, call: Call, event: Event) -> State | None:
        r = self.refusal
        if event is Event.A_MEDIA:
            call.tone_follows_a_media()
        elif event is Event.TONE_TIMEOUT:
            self._release(call)
            return Ended()
        elif event is Event.A_ENDED:
            call.finish(CallEnd(r.disposition, r.by, r.status, r.why))
            return Ended()
        return None


class Ended(State):
    name = "ended"
