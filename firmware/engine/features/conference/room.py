"""A room: legs that each hear all the others.

pjmedia's bridge mixes what several legs send to one port, so each leg sending
to every other one makes the conference, and the bridge drops a leg's
connections when its call ends.
"""

from __future__ import annotations

from firmware.engine.leg import Leg
from firmware.engine.media import bridge


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
