"""A call being handed on: the transferee hears ringback while the target rings."""

from __future__ import annotations

import logging

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
        transferor: Leg,
        transferee: Leg,
        target: Leg,
        target_number: str,
        recall: Destination | None,
        ring_timeout: float,
    ) -> None:
        self.transferee = transferee
        self.ringing: Leg | None = target
        self.target_number = target_number
        self.recall = recall
        self.ring_timeout = ring_timeout
        self.seat = transferor.role
        self.transferor = transferor
        self.recalling = False

    def enter(self, call: Call) -> None:
        call.cancel_timer()
        call.quiet()
        self.transferor.end()
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
        log.info("call %s: transfer to %s not answered; ending", call.record, self.target_number)
        call.quiet()
        self.transferee.end()
        call.finish(CallEnd(Disposition.ANSWERED, Party.SYSTEM, 480, "transfer not answered"))
        return Ended()
