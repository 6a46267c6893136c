"""Every board definition loads, a bad board file is refused with the key and why, and a
config naming an unknown board is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from firmware.boards import BoardError, board_names, load_board, read_board
from firmware.config import ConfigError, parse_config
from tests.unit.test_config import GOOD

SIM = (Path(__file__).resolve().parents[2] / "boards" / "sim.toml").read_text()


@pytest.mark.parametrize("name", board_names())
def test_every_board_loads_and_names_itself(name: str) -> None:
    board = load_board(name)
    assert board.name == name and board.description


def test_the_simulated_board_exists_and_needs_no_hardware() -> None:
    board = load_board("sim")
    assert board.gpio.factory == "mock"
    assert board.serial.smdr == board.serial.espa == "sim"
    assert {zone.device for zone in board.audio.zones.values()} == {"sim"}


def test_the_relay_hat_board_is_active_low() -> None:
    board = load_board("rpi4-relay")
    assert [relay.active_high for relay in board.relays.values()] == [False, False, False]
    assert board.serial.smdr == "/dev/ttyUSB0"


def bad(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "sim.toml"
    path.write_text(text)
    with pytest.raises(BoardError) as err:
        read_board(path)
    return str(err.value).splitlines()


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        ("pin = 17", "pin = 17\nvoltage = 12", "relays.door1.voltage: unknown key"),
        ("pin = 17", "pin = 99", "relays.door1.pin: Input should be less than or equal to 53"),
        ("pin = 17", "pin = 27", "relays.amp.pin: pin 27 is already relays.door1.pin"),
        ('amp_relay = "amp"', 'amp_relay = "amp2"', "audio.zones.hall.amp_relay: no relay 'amp2'"),
        ('smdr = "sim"', 'smdr = "COM1"', "serial.smdr: 'COM1' is not a device path"),
        ('name = "sim"', 'name = "pi"', "name: 'pi' differs from the file name 'sim'"),
    ],
)
def test_a_bad_board_file_is_refused_naming_the_key_and_why(
    tmp_path: Path, old: str, new: str, why: str
) -> None:
    [problem] = bad(tmp_path, SIM.replace(old, new, 1))
    assert problem.startswith(f"{tmp_path / 'sim.toml'}: {why}")


def test_an_unknown_board_is_refused() -> None:
    with pytest.raises(
        ConfigError, match=r"system.board: no board 'rpi9' \(boards: rpi4-relay, sim\)"
    ):
        parse_config(GOOD.replace("[system]", '[system]\nboard = "rpi9"'))
