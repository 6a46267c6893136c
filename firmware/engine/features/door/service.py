"""The door feature's service: rings a door station's call to its target, opens locks.

Which door, which target and whether digits open it is ``firmware.routing.door``'s
decision; this starts the calls, pulses the relay (``drivers.door.DoorRelay``)
and logs every opening. A relay that fails is logged and the call goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from drivers.door import DoorRelay
from firmware.config import Config
from firmware.config.target import Kind
from firmware.engine.call import Call
from firmware.engine.features.scenarios.service import ScenarioRun, Services
from firmware.engine.leg import Leg
from firmware.engine.states import Confirming, Dialing, Refusing, State
from firmware.routing.door import NotAnOpener, OpenDoor, direct_open, door_at, door_named, door_ring
from firmware.routing.outcome import Disposition, Refusal
from firmware.routing.toneplans import Tone
from firmware.store.door import DoorLog

log = logging.getLogger(__name__)

NOT_AN_OPENER = Refusal(
    403, "Forbidden", Tone.CONGESTION, Disposition.FAILED, "not allowed to open that door"
)
RELAY_FAILED = Refusal(
    503, "Service Unavailable", Tone.CONGESTION, Disposition.FAILED, "the door relay failed"
)
NOBODY_AT_DOOR = Refusal(
    480, "Temporarily Unavailable", Tone.BUSY, Disposition.BUSY, "nobody free for the door"
)


class NewCall(Protocol):
    def __call__(self, a_leg: Leg, *, caller: str, dialed: str, **details: Any) -> Call: ...


class Doors:
    def __init__(
        self,
        *,
        config: Callable[[], Config],
        relay: Callable[[str], DoorRelay | None],
        openings: DoorLog,
        new_call: NewCall,
        inbound: Services,
        mode: Callable[[], str],
    ) -> None:
        self._config = config
        self._relay = relay
        self.openings = openings
        self._new_call = new_call
        self._inbound = inbound
        self._mode = mode

    def route(self, a_leg: Leg, extension: str, dialed: str) -> bool:
        """Takes a call that is a door's: a ring at a door station, or a direct code.
        False for every other call."""
        config = self._config()
        direct = direct_open(config, extension, dialed)
        if direct is not None:
            call = self._new_call(a_leg, caller=extension, dialed=dialed, direction="internal")
            if isinstance(direct, NotAnOpener):
                log.warning("%s dialed door %s's code but is no opener", extension, direct.door)
                call.start(Refusing(NOT_AN_OPENER))
            elif self.open(direct, by=extension):
                call.start(Confirming(f"door {direct.door} opened"))
            else:
                call.start(Refusing(RELAY_FAILED))
            return True
        door = door_at(config, extension)
        if door is None:
            return False
        call = self._new_call(a_leg, caller=extension, dialed=dialed, direction="internal")
        mode = self._mode()
        target = door_ring(door, mode)
        log.info("call %s: ring at door %s, mode %s: %s", call.record, door.name, mode, target)
        call.start(self._ring(call, target.kind, target.value, mode))
        return True

    def _ring(self, call: Call, kind: Kind, value: str, mode: str) -> State:
        if kind is Kind.SCENARIO:
            run = ScenarioRun(self._inbound, call, scenario=value, mode=mode, number=call.caller)
            return run.next()
        if kind is Kind.DEPARTMENT:
            plan = self._inbound.department_plan(value, call)
            return Dialing(plan) if plan else Refusing(NOBODY_AT_DOOR)
        return Dialing(self._inbound.extension_plan(value, call))

    def open(self, opening: OpenDoor, *, by: str) -> bool:
        """Pulses the door's relay and logs the opening; False when the relay failed."""
        door = door_named(self._config(), opening.door)
        relay = self._relay(door.relay) if door is not None else None
        ok = False
        if door is None or relay is None:
            log.error("door %s has no working relay", opening.door)
        else:
            try:
                relay.unlock(door.open_seconds)
                ok = True
            except Exception:  # the call goes on whatever the relay does
                log.exception("door %s: relay %s failed", door.name, door.relay)
        self.openings.opened(door=opening.door, by=by, how=opening.how, relay_ok=ok)
        log.info(
            "door %s opened by %s (%s)%s",
            opening.door,
            by,
            opening.how,
            "" if ok else ": relay failed",
        )
        return ok

    def status(self) -> list[dict[str, Any]]:
        return self.openings.recent()

    def doors_now(self) -> list[dict[str, Any]]:
        """Each configured door with its relay (open or not, until when) and its last
        opening: what the operator console shows."""
        last = self.openings.last_per_door()
        found = []
        for door in self._config().doors:
            relay = self._relay(door.relay)
            found.append(
                {
                    "name": door.name,
                    "relay": door.relay,
                    "working": relay is not None,
                    "open": relay is not None and relay.is_open,
                    "last": last.get(door.name),
                }
            )
        return found
