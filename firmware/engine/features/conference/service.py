"""The conference feature's service: the meet-me rooms, and a party brought into a call."""

from __future__ import annotations

import logging
from collections.abc import Callable

from firmware.config import Config
from firmware.config.inbound import Conference
from firmware.engine.call import Call, Destination
from firmware.engine.features.conference.room import Room
from firmware.engine.features.conference.states import AddingParty, EnteringPin, InRoom
from firmware.engine.leg import Leg
from firmware.engine.states import State

log = logging.getLogger(__name__)


class Rooms:
    def __init__(
        self, *, config: Callable[[], Config], extension: Callable[[str, str], Destination]
    ) -> None:
        """``extension``: an extension's phone, rung showing a caller."""
        self._config = config
        self._extension = extension
        self.rooms: dict[str, Room] = {}

    def add_party(self, call: Call, keyer: Leg, number: str) -> State | None:
        """Rings ``number`` to join ``call``; None when it is no extension (or already in)."""
        config = self._config()
        parties = [p.remote_user() for p in (call.a_leg, call.b_leg) if isinstance(p, Leg)]
        if config.extension(number) is None or number in parties:
            log.warning("call %s: cannot add %s to the call", call.record, number)
            return None
        third = call.ring(self._extension(number, keyer.remote_user()))
        if third is None:
            return None
        ring = config.calls.ring_timeout
        return AddingParty(third, ring_timeout=ring, room=lambda: Room(f"call {call.record}"))

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
