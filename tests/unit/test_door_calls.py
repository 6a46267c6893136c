"""The open code in a door call, on the engine's in-call codes with faked legs."""

from __future__ import annotations

from firmware.config import parse_config
from firmware.engine.call import Destination, RingPlan
from firmware.engine.features.conference.service import Rooms
from firmware.engine.features.incall.service import InCallCodes
from firmware.engine.features.park.service import Park
from firmware.engine.features.transfer.service import Transfer
from firmware.engine.states import Dialing
from firmware.routing.door import How, OpenDoor
from tests.support.fake_leg import Office
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
        transfer=Transfer(
            config=lambda: config, calls=list, party_phone=NOWHERE, extension=NOWHERE
        ),
        park=Park(config=lambda: config, music=NOWHERE, party_phone=NOWHERE, page=NOWHERE),
        rooms=Rooms(config=lambda: config, extension=NOWHERE),
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
