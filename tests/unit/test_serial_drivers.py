"""What the engine hands its serial drivers: call records, parked calls, lines that fail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from firmware.config.schema import Config
from firmware.engine.serial_drivers import SerialDrivers, board_port
from firmware.home import Home


def drivers(tmp_path: Path, **sections: Any) -> SerialDrivers:
    config = Config.model_validate({"system": {"sip_domain": "pbx.test"}, **sections})
    return SerialDrivers(lambda: config, Home(tmp_path))


def waiting(serial: SerialDrivers) -> int:
    assert serial.espa is not None
    return int(serial.espa.status()["messages_waiting"])


def test_the_sim_board_names_both_ports_sim() -> None:
    assert (board_port("sim", "smdr"), board_port("sim", "espa")) == ("sim", "sim")


def test_disabled_drivers_are_not_built_and_take_everything_quietly(tmp_path: Path) -> None:
    serial = drivers(tmp_path)
    assert (serial.smdr, serial.espa, serial.status()) == (None, None, {})
    serial.parked(1, ["101"])
    serial.call_closed({"id": 1})


def test_a_line_that_was_up_and_fails_raises_the_alarm_once(tmp_path: Path) -> None:
    serial = drivers(tmp_path, espa={"enabled": True, "events": {"alarm": {"addresses": ["9"]}}})
    down = {"name": "city", "up": False, "why_down": "registration refused (403)"}
    serial.line_changed(down)  # still registering after the start: no alarm
    assert waiting(serial) == 0
    serial.line_changed({"name": "city", "up": True, "why_down": ""})
    serial.line_changed(down)
    serial.line_changed(down)
    assert waiting(serial) == 1


def test_a_broken_call_record_is_logged_not_raised(tmp_path: Path) -> None:
    serial = drivers(tmp_path, smdr={"enabled": True})
    serial.call_closed({"id": 3, "ended_at": "not a time"})
    assert serial.status()["smdr"]["lines_waiting"] == 0


def test_a_door_ringing_goes_to_the_door_addresses(tmp_path: Path) -> None:
    serial = drivers(
        tmp_path, espa={"enabled": True, "events": {"door": {"addresses": ["201", "202"]}}}
    )
    serial.door_ringing("front door")
    assert waiting(serial) == 2
