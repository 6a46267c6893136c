"""The operator console's control commands: what the console shows live, and its clicks.

``console`` answers with the calls up now, each extension's state (as a BLF
lamp shows it), the queues with their waiting callers and how long each has
waited, the park slots and the mode; ``park`` parks a talking call as ``*7#``
would, and ``transfer`` hands it to an extension as the keyed transfer does,
both with the office's party as the one who parks or transfers; ``mode``
forces a mode (or releases it) as the feature code does, in the name of the
signed-in admin. ``open_door`` opens a door as its direct code would, with the
receptionist's extension logged as the opener; ``console`` shows each door's
relay and its last opening. ``answer`` takes a ringing or queued call onto the
receptionist's own phone and ``pickup`` takes the call ringing an extension:
the receptionist's phone rings as one more callee of that call (a queued
caller is offered to it as the queue offers a member), and when it answers the
call goes on as a pickup's does: the other phones stop, the record names who
answered.
Runs on the engine thread, like every control request.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from firmware.config import Config
from firmware.engine.call import Call, Destination, Event
from firmware.engine.features.door.service import Doors
from firmware.engine.features.modes.service import ModeKeeper
from firmware.engine.features.park.service import Park
from firmware.engine.features.queues.service import Queues
from firmware.engine.features.queues.states import Waiting
from firmware.engine.features.transfer.service import Transfer
from firmware.engine.leg import Leg
from firmware.engine.states import Dialing, Ringing
from firmware.routing.door import How, OpenDoor, door_named
from firmware.routing.modes import ForceMode, ReleaseMode

COMMANDS = ("console", "park", "transfer", "mode", "answer", "pickup", "open_door")


class Console:
    def __init__(
        self,
        *,
        config: Callable[[], Config],
        calls: Callable[[], list[Call]],
        queues: Queues,
        park: Park,
        transfer: Transfer,
        modes: ModeKeeper,
        doors: Doors,
        extension: Callable[[str, str], Destination],
        now: Callable[[], datetime],
    ) -> None:
        self._config = config
        self._calls = calls
        self._queues = queues
        self._park = park
        self._transfer = transfer
        self._modes = modes
        self._doors = doors
        self._extension = extension
        self._now = now

    def command(self, request: dict[str, Any]) -> dict[str, Any]:
        name = request.get("cmd")
        if name == "park":
            return self.park(request.get("record"))
        if name == "transfer":
            return self.transfer(request.get("record"), str(request.get("to", "")))
        if name == "mode":
            return self.force_mode(request.get("mode"), str(request.get("by", "console")))
        if name == "answer":
            return self.answer(request.get("record"), str(request.get("at", "")))
        if name == "pickup":
            return self.pick_up(str(request.get("extension", "")), str(request.get("at", "")))
        if name == "open_door":
            return self.open_door(str(request.get("door", "")), str(request.get("by", "")))
        return self.live()

    def live(self) -> dict[str, Any]:
        calls = self._calls()
        parked = {call: slot for slot, call in self._park.parked.items()}
        return {
            "ok": True,
            "mode": self._modes.describe(self._now()),
            "modes": self._config().modes.known_names,
            "calls": [
                {
                    **call.status(),
                    "answered_by": call.b_key or None,
                    "ringing": sorted(call.candidates),
                    "parked_on": parked.get(call),
                }
                for call in calls
            ],
            "extensions": self._extensions(calls),
            "queues": self._waiting(),
            "park": [
                {"slot": slot, "record": call.record, "caller": call.caller}
                for slot, call in sorted(self._park.parked.items())
            ],
            "doors": self._doors.doors_now(),
        }

    def _extensions(self, calls: list[Call]) -> list[dict[str, Any]]:
        """Each extension as its lamp shows it: ringing, busy, dnd or idle. Whether an idle
        one is registered is Kamailio's to say: the web UI reads it, not the engine thread."""
        ringing = {key for call in calls for key in call.candidates}
        busy = {
            party
            for call in calls
            for party in (call.caller, call.b_key, *_leg_users(call))
            if party
        }
        found = []
        for extension in self._config().extensions:
            number = extension.number
            if number in ringing:
                state = "ringing"
            elif number in busy:
                state = "busy"
            elif extension.dnd:
                state = "dnd"
            else:
                state = "idle"
            found.append({"number": number, "name": extension.name, "state": state})
        return found

    def _waiting(self) -> list[dict[str, Any]]:
        now = time.monotonic()  # the clock the queues stamp callers with
        callers = {str(call.record): call.caller for call in self._calls()}
        return [
            {
                "department": department.number,
                "name": department.name,
                "callers": [
                    {
                        "record": int(entry.caller_id),
                        "caller": callers.get(entry.caller_id, "?"),
                        "waited": round(now - entry.joined_at, 1),
                    }
                    for entry in (line.callers if line else [])
                ],
            }
            for department in self._config().departments
            for line in [self._queues.lines.get(department.number)]
        ]

    def _office_party(self, record: object) -> tuple[Call, Leg] | str:
        """A talking call and its office party's leg, or why the console cannot act on it."""
        call = next((c for c in self._calls() if c.record == record), None)
        if call is None:
            return f"no call {record} in progress"
        if call.state is None or call.state.name != "talking":
            return f"call {record} is not talking"
        config = self._config()
        office = [
            leg
            for leg in (call.b_leg, call.a_leg)
            if isinstance(leg, Leg) and config.extension(leg.remote_user()) is not None
        ]
        return (call, office[0]) if office else f"call {record} has no office phone in it"

    def park(self, record: object) -> dict[str, Any]:
        found = self._office_party(record)
        if isinstance(found, str):
            return {"ok": False, "errors": [f"{found}: it cannot be parked"]}
        call, parker = found
        parked = self._park.park(call, parker, None)
        if parked is None:
            return {"ok": False, "errors": ["every park slot is taken"]}
        call.switch(parked, "parked from the console")
        return {"ok": True, "slot": parked.slot}

    def transfer(self, record: object, target: str) -> dict[str, Any]:
        found = self._office_party(record)
        if isinstance(found, str):
            return {"ok": False, "errors": [f"{found}: it cannot be transferred"]}
        call, transferor = found
        transferring = self._transfer.keyed(call, transferor, target)
        if transferring is None:
            why = "no such extension, already in the call, or its phone cannot be rung"
            return {"ok": False, "errors": [f"call {record} cannot go to {target!r}: {why}"]}
        call.switch(transferring, "transferred from the console")
        return {"ok": True}

    def force_mode(self, mode: object, by: str) -> dict[str, Any]:
        config = self._config()
        if mode is None or mode == "":
            self._modes.apply(ReleaseMode(), by, self._now())
        elif mode in config.modes.known_names:
            self._modes.apply(ForceMode(str(mode), key=""), by, self._now())
        else:
            return {"ok": False, "errors": [f"no mode {mode!r}"]}
        return {"ok": True, "mode": self._modes.describe(self._now())}

    def open_door(self, door: str, by: str) -> dict[str, Any]:
        """Opens ``door`` for the receptionist at extension ``by``: logged as theirs."""
        config = self._config()
        if config.extension(by) is None:
            return {"ok": False, "errors": [f"{by!r} is no extension: who opens the door?"]}
        if door_named(config, door) is None:
            return {"ok": False, "errors": [f"no door {door!r}"]}
        if not self._doors.open(OpenDoor(door, How.CONSOLE), by=by):
            return {"ok": False, "errors": [f"door {door}: the relay failed"]}
        return {"ok": True, "door": door}

    def answer(self, record: object, at: str) -> dict[str, Any]:
        """Rings ``at``'s phone for call ``record``, ringing or waiting in a queue."""
        call = next((c for c in self._calls() if c.record == record), None)
        if call is None:
            return {"ok": False, "errors": [f"no call {record} in progress"]}
        return self._ring_for(call, at)

    def pick_up(self, extension: str, at: str) -> dict[str, Any]:
        """Rings ``at``'s phone for the call ringing ``extension`` now."""
        call = next(
            (c for c in self._calls() if extension in c.candidates and c.b_leg is None), None
        )
        if call is None:
            return {"ok": False, "errors": [f"nothing rings extension {extension!r} now"]}
        return self._ring_for(call, at)

    def _ring_for(self, call: Call, at: str) -> dict[str, Any]:
        if self._config().extension(at) is None:
            return {"ok": False, "errors": [f"{at!r} is no extension: whose phone should ring?"]}
        if at in call.candidates:
            return {"ok": False, "errors": [f"extension {at} already rings for call {call.record}"]}
        state = call.state
        if isinstance(state, Waiting) and not state.callback:
            # The queue's own offer: the caller keeps their place if the phone is not answered.
            state.waiter.offered_to = at
            call.dispatch(Event.OFFER)
            return {"ok": True, "record": call.record}
        if call.b_leg is None and isinstance(state, Dialing | Ringing):
            if call.ring(self._extension(at, call.caller)) is None:
                return {"ok": False, "errors": [f"extension {at}'s phone cannot be rung now"]}
            return {"ok": True, "record": call.record}
        return {"ok": False, "errors": [f"call {call.record} is not ringing or queued"]}


def _leg_users(call: Call) -> list[str]:
    return [leg.remote_user() for leg in (call.a_leg, call.b_leg) if isinstance(leg, Leg)]
