"""What the operator console shows of a door (its relay, its last opening) and the store
that logs a console opening, also one upgraded from before console openings existed."""

from __future__ import annotations

from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from drivers.door import DoorRelay
from drivers.relay import Relay
from firmware.config import parse_config
from firmware.engine.features.door.service import Doors
from firmware.engine.loop import EngineLoop
from firmware.routing.door import How, OpenDoor
from firmware.store import db
from firmware.store.door import DoorLog
from tests.support.fake_leg import Clock
from tests.unit.test_call_flows import NOWHERE
from tests.unit.test_door import OFFICE


def test_the_console_sees_a_door_open_with_who_opened_it() -> None:
    config = parse_config(OFFICE)
    clock = Clock()
    pins = MockFactory()
    relay = Relay("door1", pin=17, active_high=True, factory=pins, clock=clock)
    doors = Doors(
        config=lambda: config,
        relay={"door1": DoorRelay(relay, EngineLoop(lambda ms: None, clock=clock))}.get,
        openings=DoorLog(db.connect(":memory:")),
        new_call=NOWHERE,
        inbound=NOWHERE,  # type: ignore[arg-type]  # an opening needs neither
        mode=lambda: "day",
    )
    [closed] = doors.doors_now()
    assert (closed["name"], closed["open"], closed["last"]) == ("front", False, None)
    assert doors.open(OpenDoor("front", How.CONSOLE), by="100")
    assert pins.pin(17).state
    [opened] = doors.doors_now()
    assert opened["open"] is True
    last = opened["last"]
    assert (last["door"], last["opened_by"], last["how"], last["relay_ok"]) == (
        "front",
        "100",
        "console",
        True,
    )
    relay.close()
    pins.close()


def test_a_store_from_before_console_openings_keeps_its_log_and_takes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "pbx.db"
    console = next(i for i, script in enumerate(db.MIGRATIONS) if "'console'" in script)
    with monkeypatch.context() as older:
        older.setattr(db, "MIGRATIONS", db.MIGRATIONS[:console])
        store = db.connect(path)
        DoorLog(store).opened(door="front", by="101", how="direct_code", relay_ok=True)
        store.close()
    store = db.connect(path)
    log = DoorLog(store)
    log.opened(door="front", by="100", how="console", relay_ok=True)
    log.opened(door="back", by="101", how="during_call", relay_ok=False)
    assert [(o["door"], o["opened_by"], o["how"]) for o in log.recent()] == [
        ("back", "101", "during_call"),
        ("front", "100", "console"),
        ("front", "101", "direct_code"),
    ]
    last = log.last_per_door()
    assert (last["front"]["opened_by"], last["back"]["relay_ok"]) == ("100", False)
    store.close()
