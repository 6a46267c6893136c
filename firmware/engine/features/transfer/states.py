"""A call being handed on: the transferee hears ringback while the target rings."""

from __future__ import annotations

import logging
from collections.abc import Callable

from firmware.engine.call import Call, Destination, Event
from firmware.engine.leg import Leg
from firmware.engine.states import Ended, State, Talking, party_left
from firmware.routing.outcome import Disposition, Party
from firmware.routing.toneplans import Tone
from firmware.store.cdr import CallEnd

log = logging.getLogger(__name__)


class Transferring(State):
    """The transferor has gone; ``target`` rings for ``ring_timeout``.

    The target answering takes the transferor's place: the call record says to
    whom it was transferred. A target that refuses or does not answer rings
    the transferor back (``recall``), who takes the call back by answering;
    when nobody does, the box ends the call. The transferee may hang up at any
    time.
    """

    name = "transferring"
    expects = frozenset(
        {Event.A_ENDED, Event.B_ANSWERED, Event.B_ENDED, Event.B_RINGING, Event.RING_TIMEOUT}
    )

    def __init__(
        self,
        *,
        transferor: Leg | None,
        transferee: Leg,
        target: Leg | None,
        target_number: str,
        recall: Destination | None,
        ring_timeout: float,
        recalling: bool = False,
    ) -> None:
        """``transferor``: None when it has gone already; ``recalling``: ``target`` is the
        transferor's own phone, rung back after the transfer's target was not reached."""
        self.transferee = transferee
        self.ringing = target
        self.target_number = target_number
        self.recall = recall
        self.ring_timeout = ring_timeout
        self.seat = "b" if transferee.role == "a" else "a"
        self.transferor = transferor
        self.recalling = recalling

    def enter(self, call: Call) -> None:
        call.cancel_timer()
        call.quiet()
        if self.transferor is not None:
            self.transferor.end()
            self.transferor = None  # no reference may outlive a leg (Leg.remains)
        if self.transferee.audio is not None:
            call.tone = call.ctx.tones(Tone.RINGBACK)
            call.tone.send_to(self.transferee.audio)
        call.set_timer(self.ring_timeout, Event.RING_TIMEOUT)

    def handle(self, call: Call, event: Event) -> State | None:
        leg = call.event_leg
        if event is Event.B_ANSWERED and leg is not None and leg is self.ringing:
            call.cancel_timer()
            call.quiet()
            call.seat(leg, self.seat)
            if not self.recalling:
                call.ctx.records.note(call.record, transferred_to=self.target_number)
            return Talking(resumed=True)
        if leg is self.transferee and event in (Event.A_ENDED, Event.B_ENDED):
            return party_left(call, self.transferee)
        failed = event is Event.B_ENDED and leg is not None and leg is self.ringing
        if failed or event is Event.RING_TIMEOUT:
            return self._not_answered(call)
        return None

    def _not_answered(self, call: Call) -> State | None:
        call.cancel_timer()
        call.stop_ringing()
        self.ringing = None
        if not self.recalling and self.recall is not None:
            log.info("call %s: %s did not answer; ringing back", call.record, self.target_number)
            self.recalling = True
            self.ringing = call.ring(self.recall)
            if self.ringing is not None:
                call.set_timer(self.ring_timeout, Event.RING_TIMEOUT)
                return None
        return _not_reached(call, self.transferee, self.target_number)


def ring_back(
    call: Call, *, transferee: Leg, recall: Destination | None, number: str, ring_timeout: float
) -> State:
    """A transfer's target was not reached: the transferor's phone rings, showing who
    waits, and answering takes the call back; without a phone to ring the call ends."""
    leg = call.ring(recall) if recall is not None else None
    if leg is None:
        return _not_reached(call, transferee, number)
    log.info("call %s: %s not reached; ringing back", call.record, number)
    return Transferring(
        transferor=None,
        transferee=transferee,
        target=leg,
        target_number=number,
        recall=None,
        ring_timeout=ring_timeout,
        recalling=True,
    )


def _not_reached(call: Call, transferee: Leg, number: str) -> State:
    log.info("call %s: transfer to %s not answered; ending", call.record, number)
    call.quiet()
    transferee.end()
    call.finish(CallEnd(Disposition.ANSWERED, Party.SYSTEM, 480, "transfer not answered"))
    return Ended()


class HandingOn(State):
    """The transferor leaves a call handed to more than one phone (a department, ICM's
    manager, a number outside): the transferee becomes the calling party, and ``then``
    gives the state that rings the target once the transferor's leg is gone."""

    name = "handing_on"
    expects = frozenset({Event.A_ENDED, Event.B_ENDED})

    def __init__(
        self, *, transferor: Leg, transferee: Leg, shown: str, then: Callable[[], State]
    ) -> None:
        self.transferor: Leg | None = transferor
        self.transferee = transferee
        self.shown = shown
        self.then = then

    def enter(self, call: Call) -> None:
        call.cancel_timer()
        call.quiet()
        if self.transferee is call.b_leg:
            call.b_leg = None
            call.seat(self.transferee, "a")
        call.caller = self.shown
        if self.transferor is not None:
            self.transferor.end()
            self.transferor = None  # no reference may outlive a leg (Leg.remains)
        # After the transferor's end has been handled here, not by the ringing state.
        call.ctx.loop.post(lambda: self._ring(call))

    def _ring(self, call: Call) -> None:
        if call.state is self:
            call.switch(self.then(), "handed on")

    def handle(self, call: Call, event: Event) -> State | None:
        if call.event_leg is self.transferee and event in (Event.A_ENDED, Event.B_ENDED):
            return party_left(call, self.transferee)
        return None
