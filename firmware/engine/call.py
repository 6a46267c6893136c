"""A call anchored in the engine: the caller's a_leg and the callee's b_leg.

The flow is a small state machine (``engine/states.py``), one class per
state. Every transition is logged as ``old -> event -> new`` so a call can be
followed in the log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import pjsua2 as pj

from firmware.engine.leg import EndedLeg, Leg, LegListener, LegState, Refer
from firmware.engine.loop import EngineLoop, Timer
from firmware.routing.outcome import Disposition, Party
from firmware.routing.toneplans import Tone
from firmware.store.cdr import CallEnd, CallRecords

if TYPE_CHECKING:
    from firmware.engine.states import State

log = logging.getLogger(__name__)

#: Seconds between the caller's media coming up and the first prompt.
MEDIA_SETTLE = 0.3


class Event(StrEnum):
    A_MEDIA = "a_media"
    A_ANSWERED = "a_answered"
    A_ENDED = "a_ended"
    B_RINGING = "b_ringing"
    B_MEDIA = "b_media"
    B_ANSWERED = "b_answered"
    B_ENDED = "b_ended"
    DTMF = "dtmf"
    PROMPT_DONE = "prompt_done"
    PLAYED_OUT = "played_out"
    RING_TIMEOUT = "ring_timeout"
    NO_CHANNEL = "no_channel"
    PLAN = "plan"
    OFFER = "offer"
    ANNOUNCE = "announce"
    MAX_WAIT = "max_wait"
    TONE_TIMEOUT = "tone_timeout"
    HELD = "held"
    RESUMED = "resumed"
    B_DTMF = "b_dtmf"
    PARK_TIMEOUT = "park_timeout"
    HOLD_REMINDER = "hold_reminder"
    HOLD_RECALL = "hold_recall"
    LOOKED_UP = "looked_up"
    LOOKUP_TIMEOUT = "lookup_timeout"


#: Events any state may meet and need not act on: media renewed, the caller's leg confirmed
#: after the box answered it, keys pressed, a party's hold key.
AMBIENT = frozenset(
    {
        Event.A_MEDIA,
        Event.B_MEDIA,
        Event.A_ANSWERED,
        Event.DTMF,
        Event.B_DTMF,
        Event.HELD,
        Event.RESUMED,
    }
)


class Stoppable(Protocol):
    def stop(self) -> None: ...


class TonePlaying(Protocol):
    """A region tone looping from its start (``firmware.engine.media.TonePlayer``)."""

    def send_to(self, audio: pj.AudioMedia) -> None: ...

    def close(self) -> None: ...


#: Plays prompts (by name, or recordings by path) to a leg's audio, then calls back on the
#: engine thread.
PromptPlay = Callable[[Sequence[str | Path], pj.AudioMedia, Callable[[], None]], Stoppable]


@dataclass(frozen=True)
class CallContext:
    """What a call needs from the engine, passed in so flows stay explicit and testable."""

    loop: EngineLoop
    account: pj.Account
    records: CallRecords
    #: A player of the region's ``Tone``, and a new callee leg: the seams of the fake ones.
    tones: Callable[[Tone], TonePlaying]
    new_leg: Callable[[pj.Account, LegListener], Leg]
    play_prompts: PromptPlay
    tone_timeout: float
    sip_domain: str
    on_finished: Callable[[Call], None]
    #: The hold feature: the state of a talking call one of whose parties put it on hold.
    hold: Callable[[Call, Leg], State]
    #: The transfer feature: the leg a transfer to ``target`` is placed on, or None.
    transfer: Callable[[Call, Leg, Refer], Leg | None]
    #: In-call codes: what a talking call does with the digits a party keyed (``complete``:
    #: no more are coming).
    keyed: Callable[[Call, Leg, bool], State | None]
    #: Frees a channel of a trunk this call had seized.
    release_line: Callable[[str], None]


@dataclass(frozen=True)
class Destination:
    """Where a callee leg goes: an extension through Kamailio, or a number on a trunk.

    ``key`` names it within a ring plan (a member's number, "mobile").
    """

    uri: str
    from_uri: str
    ring_timeout: float
    account: pj.Account | None = None
    headers: dict[str, str] = field(default_factory=dict)
    trunk: str | None = None
    key: str = ""


@dataclass(frozen=True)
class RingAction:
    """At ``at`` seconds, start ringing some destinations and stop others (by key)."""

    at: float
    start: tuple[Destination, ...] = ()
    stop: tuple[str, ...] = ()


@dataclass(frozen=True)
class RingPlan:
    """Who rings when while a caller waits for an answer; ``length`` ends the wait."""

    actions: tuple[RingAction, ...]
    length: float

    @classmethod
    def single(cls, destination: Destination) -> RingPlan:
        return cls((RingAction(0.0, (destination,)),), destination.ring_timeout)

    @property
    def is_single(self) -> bool:
        return sum(len(a.start) for a in self.actions) == 1


class _Ignore:
    """The listener of a leg nobody owns any more."""

    def on_leg_state(self, leg: Leg) -> None:
        pass

    def on_leg_media(self, leg: Leg) -> None:
        pass

    def on_leg_dtmf(self, leg: Leg, digit: str) -> None:
        pass

    def on_leg_hold(self, leg: Leg) -> None:
        pass

    def on_leg_transfer(self, leg: Leg, refer: Refer) -> Leg | None:
        return None


IGNORE = _Ignore()


class Call:
    """One anchored call from its arrival to the moment both legs are gone."""

    def __init__(
        self,
        ctx: CallContext,
        a_leg: Leg,
        *,
        caller: str,
        dialed: str,
        record: int,
        direction: str = "internal",
    ) -> None:
        self.ctx = ctx
        self.a_leg: Leg | EndedLeg = a_leg
        self.b_leg: Leg | EndedLeg | None = None
        #: Callee legs still ringing, by their destination's key; one of them becomes b_leg.
        self.candidates: dict[str, Leg] = {}
        #: Which destination key (an extension number, "mobile") became the b_leg.
        self.b_key = ""
        #: The leg the event being handled is about (a candidate's events carry it).
        self.event_leg: Leg | None = None
        self._legs: list[Leg] = [a_leg]
        self._silent = ""
        self.caller = caller
        self.dialed = dialed
        self.record = record
        #: As in the call record: internal, outbound (for an extension) or inbound (from a line).
        self.direction = direction
        self.trunks: list[str] = []
        self.digits = ""
        self.state: State | None = None
        self.tone: TonePlaying | None = None
        self.prompt: Stoppable | None = None
        self.timer: Timer | None = None
        self.end: CallEnd | None = None
        self._pending: list[Callable[[], None]] = []
        self._a_media_at = 0.0
        self._settling: Timer | None = None
        self.plan_timers: list[Timer] = []
        #: The trunk each callee leg on a line took: freed when that leg ends, so a line rung
        #: in vain (a forward, a party added) is not held until the whole call is over.
        self._lines: dict[Leg, str] = {}
        #: Who wants to know when a person answers (the leg; told once, at the next answer:
        #: a call a transfer hands on is answered again) and when the call ends.
        self.on_answer: list[Callable[[Leg], None]] = []
        self.on_finish: list[Callable[[CallEnd], None]] = []
        #: A party's media came up or renewed, or a party took a seat (a transfer's target).
        self.on_media: list[Callable[[Leg], None]] = []
        a_leg.listener = self

    def __repr__(self) -> str:
        state = self.state.name if self.state else "new"
        return f"<Call {self.record} {self.caller}->{self.dialed} {state}>"

    def status(self) -> dict[str, object]:
        """What the control socket shows of a call: who, where it stands, its media flowing."""
        legs = [self.a_leg, *([self.b_leg] if self.b_leg else []), *self.candidates.values()]
        return {
            "record": self.record,
            "caller": self.caller,
            "dialed": self.dialed,
            "state": self.state.name if self.state else "new",
            "trunks": self.trunks,
            "legs": [{"role": leg.role, **leg.rtp_counts()} for leg in legs],
        }

    def start(self, first: State) -> None:
        log.info("call %s: %s -> %s", self.record, self.caller, self.dialed)
        self._serially(lambda: self._move(first, "arrived"))

    def switch(self, new: State, why: str) -> None:
        """Moves the call to ``new`` for a reason no leg event carries (a feature's)."""
        self._serially(lambda: self._move(new, why))

    def dispatch(self, event: Event, leg: Leg | None = None) -> None:
        self._serially(lambda: self._handle(event, leg))

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
            try:
                self._pending[0]()
            except Exception:
                log.exception("call %s: failed in %s; ending it", self.record, self.state)
                self._fail_safe()
            self._pending.pop(0)

    def _fail_safe(self) -> None:
        """A bug must cost one call, never the engine: end every leg, close the record."""
        self.cancel_timer()
        self.quiet()
        self.stop_ringing()
        if self.b_leg is not None:
            self.b_leg.end()
        self.a_leg.end(500)
        self.finish(CallEnd(Disposition.FAILED, Party.SYSTEM, 500, "internal error"))

    def _handle(self, event: Event, leg: Leg | None) -> None:
        assert self.state is not None
        if event not in self.state.expects and event not in AMBIENT:
            log.error(
                "call %s: defect: %s got %s, which it does not expect",
                self.record,
                self.state.name,
                event,
            )
        self.event_leg = leg
        try:
            new = self.state.handle(self, event)
            if new is not None:
                self._move(new, event)
        finally:
            # No reference to a leg may outlive it: see Leg.remains.
            self.event_leg = None

    def _move(self, new: State, event: str) -> None:
        old = self.state.name if self.state else "new"
        log.debug("call %s: %s -> %s -> %s", self.record, old, event, new.name)
        if self.state is not None and self.state is not new:
            self.state.leave(self)
        self.state = new
        new.enter(self)

    # LegListener
    def on_leg_state(self, leg: Leg) -> None:
        caller = leg is self.a_leg
        if leg.state is LegState.DISCONNECTED:
            self.dispatch(Event.A_ENDED if caller else Event.B_ENDED, leg)
            self._serially(lambda: self._drop(leg))
        elif not caller and leg.state is LegState.EARLY:
            self.dispatch(Event.B_RINGING, leg)
        elif leg.state is LegState.CONFIRMED:
            self.dispatch(Event.A_ANSWERED if caller else Event.B_ANSWERED, leg)

    def on_leg_media(self, leg: Leg) -> None:
        if leg is self.a_leg:
            self._a_media_at = self.ctx.loop.now()
        for hook in self.on_media:
            hook(leg)
        self.dispatch(Event.A_MEDIA if leg is self.a_leg else Event.B_MEDIA, leg)

    def ring(self, destination: Destination) -> Leg | None:
        """Starts a callee leg; None when pjsua has no slot or refuses the URI."""
        leg = self.ctx.new_leg(destination.account or self.ctx.account, self)
        try:
            leg.dial(destination.uri, from_uri=destination.from_uri, headers=destination.headers)
        except pj.Error as exc:
            log.error("call %s: cannot call %s: %s", self.record, destination.uri, exc.info())
            return None
        self._legs.append(leg)
        self.candidates[destination.key] = leg
        if destination.trunk is not None:
            self._lines[leg] = destination.trunk
        return leg

    def promote(self, leg: Leg) -> None:
        """The candidate that answered becomes the b_leg; the others stop ringing."""
        self.stop_ringing(keep=leg)
        self.b_key = next((k for k, v in self.candidates.items() if v is leg), "")
        self.candidates.clear()
        self.b_leg = leg

    def adopt(self, leg: Leg, key: str) -> None:
        """``leg``, made elsewhere (a picker's phone, a transfer's target), becomes one of
        this call's candidates under ``key``."""
        leg.listener = self
        leg.role = "b"
        self._legs.append(leg)
        self.candidates[key] = leg

    def pick_up(self, leg: Leg, key: str) -> None:
        """``leg``, the phone of ``key`` that dialed a pickup code, becomes a candidate and
        answers: the call goes on as if that candidate had answered."""
        self.adopt(leg, key)
        leg.respond(200)

    def other(self, party: Leg | EndedLeg | None) -> Leg | EndedLeg | None:
        """The call's other party: the callee for the caller, the caller for anyone else."""
        return self.b_leg if party is self.a_leg else self.a_leg

    def hand_over(self, leg: Leg) -> None:
        """``leg`` leaves this call for another one (an attended transfer takes the target
        into the transferee's call); what stays here is what it was."""
        if leg in self._legs:
            self._legs.remove(leg)
        self.forget(leg)
        if leg is self.a_leg:
            self.a_leg = leg.remains()
        elif leg is self.b_leg:
            self.b_leg = leg.remains()

    def seat(self, leg: Leg, role: str) -> None:
        """``leg``, a candidate that answered, becomes the call's ``role`` party ("a" or
        "b") in place of whoever was there."""
        self.forget(leg)
        leg.role = role
        if role == "a":
            self.a_leg = leg
        else:
            self.b_leg = leg
        for hook in self.on_media:  # a party's media is in the call from now
            hook(leg)

    def replace(self, old: Leg, new: Leg) -> None:
        """``new``, a candidate that answered, takes ``old``'s place and role in the call
        (the holder answering a recall); ``old`` is hung up."""
        self.seat(new, old.role)
        old.end()

    def forget(self, leg: Leg) -> None:
        """A candidate that ended is no longer one."""
        for key, candidate in list(self.candidates.items()):
            if candidate is leg:
                del self.candidates[key]

    def stop_ringing(self, keep: Leg | None = None) -> None:
        """Ends every candidate but ``keep``."""
        for key, leg in list(self.candidates.items()):
            if leg is not keep:
                del self.candidates[key]
                leg.end()

    def on_leg_hold(self, leg: Leg) -> None:
        self.dispatch(Event.HELD if leg.held else Event.RESUMED, leg)

    def on_leg_transfer(self, leg: Leg, refer: Refer) -> Leg | None:
        return self.ctx.transfer(self, leg, refer)

    def on_leg_dtmf(self, leg: Leg, digit: str) -> None:
        leg.keyed += digit
        if leg is self.a_leg:
            self.digits += digit
            self.dispatch(Event.DTMF, leg)
        else:
            self.dispatch(Event.B_DTMF, leg)

    # Helpers the states share.
    def set_timer(self, delay: float, event: Event) -> None:
        self.cancel_timer()
        self.timer = self.ctx.loop.call_later(delay, lambda: self.dispatch(event))

    def cancel_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        for timer in self.plan_timers:
            timer.cancel()
        self.plan_timers.clear()

    def play(self, tone: Tone) -> None:
        self.quiet()
        self.tone = self.ctx.tones(tone)
        if self.a_leg.audio is not None:
            self.tone.send_to(self.a_leg.audio)

    def announce(self, prompts: Sequence[str | Path]) -> None:
        """Plays prompts to the caller; PROMPT_DONE follows when they have been heard.

        Without the caller's media nothing plays: states announce again on A_MEDIA.
        Right after the media comes up the caller's phone is still filling its
        jitter buffer, so the first words wait until it has settled.
        """
        self.quiet()
        if self.a_leg.audio is None:
            return
        settle = self._a_media_at + MEDIA_SETTLE - self.ctx.loop.now()
        if settle > 0:
            self._settling = self.ctx.loop.call_later(settle, lambda: self.announce(prompts))
            return
        self.prompt = self.ctx.play_prompts(
            prompts, self.a_leg.audio, lambda: self.dispatch(Event.PROMPT_DONE)
        )

    def media_follows_a(self) -> None:
        """The caller's media came up after a tone started: let them hear it."""
        if self.tone is not None and self.a_leg.audio is not None:
            self.tone.send_to(self.a_leg.audio)

    def quiet(self) -> None:
        if self._settling is not None:
            self._settling.cancel()
            self._settling = None
        if self.tone is not None:
            self.tone.close()
            self.tone = None
        if self.prompt is not None:
            self.prompt.stop()
            self.prompt = None

    def early_media_to_caller(self) -> None:
        """Sends 183 once so the caller hears what the engine plays before answer."""
        leg = self.a_leg
        if isinstance(leg, Leg) and leg.state in (LegState.INCOMING, LegState.NEW):
            leg.respond(183)

    def answer_caller(self) -> None:
        leg = self.a_leg
        if isinstance(leg, Leg) and leg.state in (LegState.INCOMING, LegState.NEW, LegState.EARLY):
            leg.respond(200)

    def answered(self, leg: Leg) -> None:
        self.ctx.records.answered(self.record, leg.remote_user())
        hooks, self.on_answer = self.on_answer, []
        for hook in hooks:
            hook(leg)

    @property
    def legs(self) -> tuple[Leg, ...]:
        """The legs not yet ended, the caller's first."""
        return tuple(self._legs)

    def media_lost(self, leg: Leg, why: str) -> None:
        """Hangs up a leg whose media stopped: the call goes on as if that party hung up,
        and its record says the box ended it and why."""
        self._silent = why
        leg.end()

    def finish(self, end: CallEnd) -> None:
        if self.end is None:
            if self._silent:
                end = CallEnd(end.disposition, Party.SYSTEM, end.sip_status, self._silent)
            self.end = end
            self.ctx.records.close(self.record, end)
            log.info("call %s: ended %s by %s", self.record, end.disposition, end.hangup_by)
            for hook in self.on_finish:
                hook(end)

    def _drop(self, leg: Leg) -> None:
        leg.listener = IGNORE
        self.hand_over(leg)  # to nobody: the leg has ended
        trunk = self._lines.pop(leg, None)
        if trunk is not None and trunk in self.trunks:
            self.trunks.remove(trunk)
            self.ctx.release_line(trunk)
        if not self._legs:
            self.cancel_timer()
            self.quiet()
            self.ctx.on_finished(self)

    def hang_up_everything(self, status: int = 503) -> None:
        """The engine is stopping: end every leg now."""
        self.cancel_timer()
        self.quiet()
        self.stop_ringing()
        if self.b_leg is not None:
            self.b_leg.end()
        self.a_leg.end(status)
