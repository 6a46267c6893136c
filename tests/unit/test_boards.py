"""Every board definition loads, and a config naming an unknown board is refused."""

from __future__ import annotations

import pytest

from firmware.boards import board_names, load_board
from firmware.config import ConfigError, parse_config
from tests.unit.test_config import GOOD


@pytest.mark.parametrize("name", board_names())
def test_every_board_loads_and_names_itself(name: str) -> None:
    board = load_board(name)
    assert board["name"] == name and board["description"]


def test_the_simulated_board_exists_and_needs_no_hardware() -> None:
    assert "sim" in board_names()
    assert load_board("sim")["gpio"]["factory"] == "mock"


def test_an_unknown_board_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"system.board: no board 'rpi9' \(boards: sim\)"):
        parse_config(GOOD.replace("[system]", '[system]\nboard = "rpi9"'))
