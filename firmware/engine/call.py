"""A call anchored in the engine: the caller's a_leg and the callee's b_leg.

The flow is a small state machine (``engine/states.py``), one class per
state. Every transition is logged as ``old -> event -> new`` so a call can be
followed in the log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

import pjsua2 as pj

from firmware.engine.leg import EndedLeg, Leg, LegState
from firmware.engine.loop import EngineLoop, Timer
from firmware.engine.media import TonePlayer
from firmware.routing.toneplans import Tone, ToneSpec
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
    RING_TIMEOUT = "ring_timeout"
    NO_CHANNEL = "no_channel"
    TONE_TIMEOUT = "tone_timeout"


class Stoppable(Protocol):
    def stop(self) -> None: ...


#: Plays prompts by name to a leg's audio, then calls back on the engine thread.
PromptPlay = Callable[[list[str], pj.AudioMedia, Callable[[], None]], Stoppable]


@dataclass(frozen=True)
class CallContext:
    """What a call needs from the engine, passed in so flows stay explicit and testable."""

    loop: EngineLoop
    account: pj.Account
    records: CallRecords
    tones: Callable[[Tone], ToneSpec]
    play_prompts: PromptPlay
    tone_timeout: float
    sip_domain: str
    on_finished: Callable[[Call], None]


@dataclass(frozen=True)
class Destination:
    """Where the b_leg goes: an extension through Kamailio, or a number on a trunk."""

    uri: str
    from_uri: str
    ring_timeout: float
    account: pj.Account | None = None
    headers: dict[str, str] = field(default_factory=dict)
    trunk: str | None = None


class _Ignore:
    """The listener of a leg nobody owns any more."""

    def on_leg_state(self, leg: Leg) -> None:
        pass

    def on_leg_media(self, leg: Leg) -> None:
        pass

    def on_leg_dtmf(self, leg: Leg, digit: str) -> None:
        pass


IGNORE = _Ignore()


class Call:
    """One anchored call from its arrival to the moment both legs are gone."""

    def __init__(
        self, ctx: CallContext, a_leg: Leg, *, caller: str, dialed: str, record: int
    ) -> None:
        self.ctx = ctx
        self.a_leg: Leg | EndedLeg = a_leg
        self.b_leg: Leg | EndedLeg | None = None
        self.caller = caller
        self.dialed = dialed
        self.record = record
        self.trunks: list[str] = []
        self.digits = ""
        self.state: State | None = None
        self.tone: TonePlayer | None = None
        self.prompt: Stoppable | None = None
        self.timer: Timer | None = None
        self.end: CallEnd | None = None
        self._pending: list[Callable[[], None]] = []
        self._a_media_at = 0.0
        self._settling: Timer | None = None
        a_leg.listener = self

    def __repr__(self) -> str:
        state = self.state.name if self.state else "new"
        return f"<Call {self.record} {self.caller}->{self.dialed} {state}>"

    def status(self) -> dict[str, object]:
        """What the control socket shows of a call: who, where it stands, its media flowing."""
        legs = [leg for leg in (self.a_leg, self.b_leg) if leg is not None]
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
        assert self.state is not None
        new = self.state.handle(self, event)
        if new is not None:
            self._move(new, event)

    def _move(self, new: State, event: str) -> None:
        old = self.state.name if self.state else "new"
        log.info("call %s: %s -> %s -> %s", self.record, old, event, new.name)
        self.state = new
        new.enter(self)

    # LegListener
    def on_leg_state(self, leg: Leg) -> None:
        if leg.state is LegState.DISCONNECTED:
            self.dispatch(Event.A_ENDED if leg is self.a_leg else Event.B_ENDED)
            self._serially(lambda: self._drop(leg))
        elif leg is self.b_leg and leg.state is LegState.EARLY:
            self.dispatch(Event.B_RINGING)
        elif leg.state is LegState.CONFIRMED:
            self.dispatch(Event.B_ANSWERED if leg is self.b_leg else Event.A_ANSWERED)

    def on_leg_media(self, leg: Leg) -> None:
        if leg is self.a_leg:
            self._a_media_at = time.monotonic()
        self.dispatch(Event.A_MEDIA if leg is self.a_leg else Event.B_MEDIA)

    def on_leg_dtmf(self, leg: Leg, digit: str) -> None:
        if leg is self.a_leg:
            self.digits += digit
            self.dispatch(Event.DTMF)

    # Helpers the states share.
    def set_timer(self, delay: float, event: Event) -> None:
        self.cancel_timer()
        self.timer = self.ctx.loop.call_later(delay, lambda: self.dispatch(event))

    def cancel_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def play(self, tone: Tone) -> None:
        self.quiet()
        self.tone = TonePlayer(self.ctx.tones(tone))
        if self.a_leg.audio is not None:
            self.tone.send_to(self.a_leg.audio)

    def announce(self, prompts: list[str]) -> None:
        """Plays prompts to the caller; PROMPT_DONE follows when they have been heard.

        Without the caller's media nothing plays: states announce again on A_MEDIA.
        Right after the media comes up the caller's phone is still filling its
        jitter buffer, so the first words wait until it has settled.
        """
        self.quiet()
        if self.a_leg.audio is None:
            return
        settle = self._a_media_at + MEDIA_SETTLE - time.monotonic()
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
        if self.a_leg.state in (LegState.INCOMING, LegState.NEW):
            self.a_leg.respond(183)

    def answer_caller(self) -> None:
        if self.a_leg.state in (LegState.INCOMING, LegState.NEW, LegState.EARLY):
            self.a_leg.respond(200)

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
            self.quiet()
            self.ctx.on_finished(self)

    def hang_up_everything(self, status: int = 503) -> None:
        """The engine is stopping: end both legs now."""
        self.cancel_timer()
        self.quiet()
        if self.b_leg is not None:
            self.b_leg.end()
        self.a_leg.end(status)
