"""The in-call codes' service: collects a party's digits and hands a code to its feature.

What the digits mean is ``firmware.routing.incall``'s; only a party that is
an extension of the box keys codes, a customer's digits are theirs.
"""

from __future__ import annotations

from collections.abc import Callable

from firmware.config import Config
from firmware.engine.call import Call, Event
from firmware.engine.features.conference.service import Rooms
from firmware.engine.features.park.service import Park
from firmware.engine.features.recording.service import Recording
from firmware.engine.features.transfer.service import Transfer
from firmware.engine.leg import Leg
from firmware.engine.states import State
from firmware.routing.door import OpenDoor, door_code_in_call
from firmware.routing.incall import (
    AddParty,
    KeepKeying,
    ParkIn,
    ToggleRecording,
    TransferTo,
    in_call_code,
)
from firmware.routing.scenarios import INTER_DIGIT


class InCallCodes:
    def __init__(
        self,
        *,
        config: Callable[[], Config],
        transfer: Transfer,
        park: Park,
        rooms: Rooms,
        recording: Recording,
        open_door: Callable[[OpenDoor, str], object] | None = None,
    ) -> None:
        """``open_door``: pulses a door's lock; without it no digits open a door."""
        self._config = config
        self._open_door = open_door
        self._transfer = transfer
        self._park = park
        self._rooms = rooms
        self._recording = recording

    def keyed(self, call: Call, leg: Leg, complete: bool) -> State | None:
        """The state ``leg``'s digits so far lead to; None keeps the call talking."""
        config = self._config()
        if config.extension(leg.remote_user()) is None:
            leg.keyed = ""
            return None
        door = None
        if self._open_door is not None:
            keyer = leg.remote_user()
            door = door_code_in_call(
                config, caller=call.caller, keyer=keyer, keyed=leg.keyed, complete=complete
            )
            if isinstance(door, OpenDoor):
                call.cancel_timer()
                leg.keyed = ""
                self._open_door(door, keyer)
                return None
        code = door or in_call_code(config, leg.keyed, complete=complete)
        if isinstance(code, KeepKeying):
            call.set_timer(INTER_DIGIT, Event.TONE_TIMEOUT)
            return None
        call.cancel_timer()
        leg.keyed = ""
        if isinstance(code, TransferTo):
            return self._transfer.keyed(call, leg, code.number)
        if isinstance(code, ParkIn):
            return self._park.park(call, leg, code.slot)
        if isinstance(code, AddParty):
            return self._rooms.add_party(call, leg, code.number)
        if isinstance(code, ToggleRecording):
            self._recording.toggle(call, leg)
        return None
