"""The conference feature's service: the meet-me rooms, and a party brought into a call."""

from __future__ import annotations

import logging
from collections.abc import Callable

from firmware.config import Config
from firmware.config.inbound import Conference
from firmware.config.target import Kind, Target
from firmware.engine.call import Call, Destination
from firmware.engine.features.conference.room import Room
from firmware.engine.features.conference.states import AddingParty, EnteringPin, InRoom
from firmware.engine.leg import Leg
from firmware.engine.states import State
from firmware.routing.outbound import CallOut
from firmware.routing.outcome import Disposition, Refusal
from firmware.routing.transfer import transfer_target

log = logging.getLogger(__name__)


class Rooms:
    def __init__(
        self,
        *,
        config: Callable[[], Config],
        extension: Callable[[str, str], Destination],
        line_to: Callable[[Call, CallOut, str], Destination | Refusal],
    ) -> None:
        """``extension``: an extension's phone, rung showing a caller; ``line_to``: a number
        outside on a line seized for the call, the caller ID an extension's."""
        self._config = config
        self._extension = extension
        self._line_to = line_to
        self.rooms: dict[str, Room] = {}

    def add_party(self, call: Call, keyer: Leg, number: str) -> State | None:
        """Rings ``number``, an extension or a number outside the keyer may call, to join
        ``call``; None (the call goes on) when it cannot be."""
        config = self._config()
        parties = [p.remote_user() for p in (call.a_leg, call.b_leg) if isinstance(p, Leg)]
        where = transfer_target(config, transferor=keyer.remote_user(), number=number)
        destination: Destination | Refusal
        if isinstance(where, CallOut):
            destination = self._line_to(call, where, keyer.remote_user())
        elif isinstance(where, Target) and where.kind is Kind.EXTENSION and number not in parties:
            destination = self._extension(number, keyer.remote_user())
        else:
            why = where.why if isinstance(where, Refusal) else "not one phone, or in the call"
            destination = Refusal(403, "Forbidden", None, Disposition.FAILED, why)
        if isinstance(destination, Refusal):
            log.warning("call %s: cannot add %s: %s", call.record, number, destination.why)
            return None
        third = call.ring(destination)
        if third is None:
            return None
        return AddingParty(
            third,
            ring_timeout=config.calls.ring_timeout,
            room=lambda: Room(f"call {call.record}"),
            office=self._office,
            outside_stay=config.calls.outside_parties_stay,
        )

    def _office(self, party: Leg) -> bool:
        """Whether ``party`` is one of the office's phones rather than someone outside."""
        return self._config().extension(party.remote_user()) is not None

    def enter(self, number: str) -> State | None:
        """The first state of a call to room ``number``; None when there is no such room."""
        room = self._config().conference(number)
        if room is None:
            return None
        in_room = InRoom(room.name, join=self._join(room), leave=self._leave(room))
        return EnteringPin(room.pin, then=in_room) if room.pin else in_room

    def _join(self, room: Conference) -> Callable[[Call], None]:
        def join(call: Call) -> None:
            if isinstance(call.a_leg, Leg):
                self.rooms.setdefault(room.number, Room(room.number)).join(call.a_leg)

        return join

    def _leave(self, room: Conference) -> Callable[[Call, Leg], None]:
        def leave(call: Call, leg: Leg) -> None:
            found = self.rooms.get(room.number)
            if found is not None:
                found.leave(leg)
                if not found.legs:
                    del self.rooms[room.number]

        return leave
