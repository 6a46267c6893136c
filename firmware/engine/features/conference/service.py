"""The conference feature's service: the rooms, and who hears whom in each.

A room is the legs in it; pjmedia's bridge mixes what several legs send to one
port, so each leg sending to every other one makes the conference, and the
bridge drops a leg's connections when its call ends.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from firmware.config import Config
from firmware.config.inbound import Conference
from firmware.engine.call import Call
from firmware.engine.features.conference.states import EnteringPin, InRoom
from firmware.engine.leg import Leg
from firmware.engine.media import bridge
from firmware.engine.states import State

log = logging.getLogger(__name__)


class Room:
    def __init__(self, number: str) -> None:
        self.number = number
        self.legs: list[Leg] = []

    def join(self, leg: Leg) -> None:
        """``leg`` hears everyone in the room and everyone hears it (again, for a port
        pjsua renewed)."""
        if leg not in self.legs:
            self.legs.append(leg)
        if leg.audio is None:
            return
        for other in self.legs:
            if other is not leg and other.audio is not None:
                bridge(leg.audio, other.audio)

    def leave(self, leg: Leg) -> None:
        if leg in self.legs:
            self.legs.remove(leg)


class Rooms:
    def __init__(self, *, config: Callable[[], Config]) -> None:
        self._config = config
        self.rooms: dict[str, Room] = {}

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
