"""A caller in a meet-me room, and one asked for the room's PIN first."""

from __future__ import annotations

import logging
from collections.abc import Callable

from firmware.engine.call import Call, Event
from firmware.engine.features.conference.room import Room
from firmware.engine.leg import Leg
from firmware.engine.states import Ended, State, Talking, hung_up
from firmware.routing.outcome import Disposition, Party
from firmware.store.cdr import CallEnd

log = logging.getLogger(__name__)

#: Wrong PINs before the box hangs up, and seconds to key one.
PIN_TRIES = 3
PIN_TIMEOUT = 10.0


class InRoom(State):
    """The caller talks with everyone in the room until they hang up."""

    name = "conference"
    expects = frozenset({Event.A_ENDED})

    def __init__(
        self,
        room: str,
        *,
        join: Callable[[Call], None],
        leave: Callable[[Call, Leg], None],
    ) -> None:
        self.room = room
        self.join = join
        self.leave_room = leave

    def enter(self, call: Call) -> None:
        call.cancel_timer()
        call.quiet()
        call.answer_caller()
        log.info("call %s: %s joins the room %s", call.record, call.caller, self.room)
        self.join(call)

    def handle(self, call: Call, event: Event) -> State | None:
        if event is Event.A_MEDIA:
            self.join(call)
        elif event is Event.A_ENDED:
            if isinstance(call.event_leg, Leg):
                self.leave_room(call, call.event_leg)
            call.finish(CallEnd(Disposition.ANSWERED, Party.CALLER, 200, f"room {self.room}"))
            return Ended()
        return None


class EnteringPin(State):
    """The room has a PIN: the caller keys it and ``#`` within ``PIN_TIMEOUT`` of being
    asked; three wrong ones (or silences) end the call."""

    name = "conference_pin"
    expects = frozenset({Event.A_ENDED, Event.PROMPT_DONE, Event.TONE_TIMEOUT})

    def __init__(self, pin: str, *, then: InRoom) -> None:
        self.pin = pin
        self.then = then
        self.tries = 0

    def enter(self, call: Call) -> None:
        call.digits = ""
        call.answer_caller()
        call.announce(["voicemail_enter_pin"])

    def handle(self, call: Call, event: Event) -> State | None:
        if event is Event.A_MEDIA:
            call.announce(["voicemail_enter_pin"])
        elif event is Event.PROMPT_DONE:
            call.set_timer(PIN_TIMEOUT, Event.TONE_TIMEOUT)
        elif event is Event.DTMF and call.digits.endswith("#"):
            keyed, call.digits = call.digits.removesuffix("#"), ""
            if keyed == self.pin:
                return self.then
            return self._wrong(call)
        elif event is Event.TONE_TIMEOUT:
            return self._wrong(call)
        elif event is Event.A_ENDED:
            call.cancel_timer()
            call.finish(CallEnd(Disposition.CANCELLED, Party.CALLER, 487, "left at the PIN"))
            return Ended()
        return None

    def _wrong(self, call: Call) -> State | None:
        self.tries += 1
        if self.tries >= PIN_TRIES:
            call.cancel_timer()
            call.quiet()
            call.a_leg.end()
            call.finish(CallEnd(Disposition.FAILED, Party.SYSTEM, 403, "wrong conference PIN"))
            return Ended()
        call.cancel_timer()
        call.announce(["voicemail_wrong_pin", "voicemail_enter_pin"])
        return None


class AddingParty(State):
    """A party keyed ``add_party``: ``third`` rings while the two talk on; answered, all
    three are in one room, unanswered, the call is as it was."""

    name = "adding_party"
    expects = frozenset(
        {Event.A_ENDED, Event.B_ANSWERED, Event.B_ENDED, Event.B_RINGING, Event.RING_TIMEOUT}
    )

    def __init__(
        self,
        third: Leg,
        *,
        ring_timeout: float,
        room: Callable[[], Room],
        office: Callable[[Leg], bool],
        outside_stay: bool,
    ) -> None:
        self.third = third
        self.ring_timeout = ring_timeout
        self.room = room
        self.office = office
        self.outside_stay = outside_stay

    def enter(self, call: Call) -> None:
        call.set_timer(self.ring_timeout, Event.RING_TIMEOUT)

    def handle(self, call: Call, event: Event) -> State | None:
        leg = call.event_leg
        if event is Event.B_ANSWERED and leg is self.third:
            call.cancel_timer()
            call.forget(self.third)
            return ThreeWay(
                self.room(), third=self.third, office=self.office, outside_stay=self.outside_stay
            )
        if (event is Event.B_ENDED and leg is self.third) or event is Event.RING_TIMEOUT:
            call.cancel_timer()
            call.stop_ringing()
            return Talking(resumed=True)
        if event in (Event.A_ENDED, Event.B_ENDED):
            call.cancel_timer()
            call.stop_ringing()
            return hung_up(call, event)
        return None


class ThreeWay(State):
    """The call's parties and the one brought in hear each other; when one is left, the
    call is over for them too, and when the office has left (no party is an extension:
    ``office``) the parties outside are let go unless ``outside_stay``."""

    name = "three_way"
    expects = frozenset({Event.A_ENDED, Event.B_ENDED})

    def __init__(
        self, room: Room, *, third: Leg, office: Callable[[Leg], bool], outside_stay: bool
    ) -> None:
        self.room = room
        self.third = third
        self.office = office
        self.outside_stay = outside_stay

    def enter(self, call: Call) -> None:
        for leg in (call.a_leg, call.b_leg, self.third):
            if isinstance(leg, Leg):
                self.room.join(leg)
        log.info("call %s: %d parties in the call", call.record, len(self.room.legs))

    def handle(self, call: Call, event: Event) -> State | None:
        leg = call.event_leg
        if event in (Event.A_MEDIA, Event.B_MEDIA) and isinstance(leg, Leg):
            self.room.join(leg)
        elif event in (Event.A_ENDED, Event.B_ENDED) and isinstance(leg, Leg):
            self.room.leave(leg)
            office_left = not any(self.office(p) for p in self.room.legs)
            if len(self.room.legs) < 2 or (office_left and not self.outside_stay):
                for left in list(self.room.legs):
                    left.end()
                by = Party.CALLER if event is Event.A_ENDED else Party.CALLEE
                call.finish(CallEnd(Disposition.ANSWERED, by, 200))
                return Ended()
        return None
