"""The open code in a door call, on the engine's in-call codes with faked legs; a relay that
fails is logged and the call goes on."""

from __future__ import annotations

import pytest
from gpiozero.pins.mock import MockFactory

from drivers.door import DoorRelay
from drivers.relay import Relay
from firmware.config import parse_config
from firmware.engine.call import Destination, RingPlan
from firmware.engine.features.door.service import Doors
from firmware.engine.features.incall.service import InCallCodes
from firmware.engine.leg import LegState
from firmware.engine.loop import EngineLoop
from firmware.engine.states import Dialing
from firmware.routing.door import How, OpenDoor
from firmware.store.db import connect
from firmware.store.door import DoorLog
from tests.support.fake_leg import Clock, Office
from tests.unit.test_call_flows import NOWHERE
from tests.unit.test_door import OFFICE

IVAN = Destination(
    uri="sip:101@pbx.test", from_uri="<sip:190@pbx.test>", ring_timeout=30, key="101"
)


def test_the_answering_party_keys_the_open_code_and_the_call_goes_on() -> None:
    config = parse_config(OFFICE)
    opened: list[tuple[OpenDoor, str]] = []
    codes = InCallCodes(
        config=lambda: config,
        transfer=NOWHERE,
        park=NOWHERE,
        rooms=NOWHERE,
        recording=NOWHERE,
        open_door=lambda door, by: opened.append((door, by)),
    )
    office = Office(keyed=codes.keyed)
    call, station = office.call("190", "100")
    call.start(Dialing(RingPlan.single(IVAN)))
    [ivan] = office.legs
    ivan.user = "101"
    ivan.rings()
    ivan.answers()
    station.keys("5")  # the door station's own keypad opens nothing
    assert opened == []
    ivan.keys("5")
    assert opened == [(OpenDoor("front", How.DURING_CALL), "101")]
    assert call.state.name == "talking"
    ivan.keys("5")  # again: the door service extends the opening
    assert len(opened) == 2


def test_a_door_relay_that_fails_is_logged_and_the_call_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = parse_config(OFFICE)
    clock = Clock()
    pins = MockFactory()
    relay = Relay("door1", pin=17, active_high=True, factory=pins, clock=clock)
    doors = Doors(
        config=lambda: config,
        relay={"door1": DoorRelay(relay, EngineLoop(lambda ms: None, clock=clock))}.get,
        openings=DoorLog(connect(":memory:")),
        new_call=NOWHERE,
        inbound=NOWHERE,  # type: ignore[arg-type]  # an opening needs neither
        mode=lambda: "day",
    )
    codes = InCallCodes(
        config=lambda: config,
        transfer=NOWHERE,
        park=NOWHERE,
        rooms=NOWHERE,
        recording=NOWHERE,
        open_door=lambda door, by: doors.open(door, by=by),
    )
    office = Office(keyed=codes.keyed)
    call, _station = office.call("190", "100")
    call.start(Dialing(RingPlan.single(IVAN)))
    [ivan] = office.legs
    ivan.user = "101"
    ivan.rings()
    ivan.answers()
    relay.close()  # the relay's pin is gone: gpiozero raises on every switch
    ivan.keys("5")
    assert "door front: relay door1 failed" in caplog.text
    assert call.state.name == "talking" and ivan.state is LegState.CONFIRMED
    [opening] = doors.status()
    assert (opening["opened_by"], opening["relay_ok"]) == ("101", False)
    pins.close()
