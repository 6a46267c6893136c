"""The front panel on MockFactory pins: the button steps the mode; the LEDs follow the
office habit (mode: off day, red night, green lunch; trunks: lit busy, flashing ringing)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from gpiozero.pins.mock import MockFactory

from drivers.panel import FLASH_SECONDS, FrontPanel, TrunkLight
from firmware.boards import load_board
from firmware.config import parse_config
from firmware.engine.features.modes.service import ModeKeeper
from firmware.engine.features.panel.service import PanelService, trunk_lights
from firmware.engine.loop import EngineLoop
from firmware.store.db import connect
from tests.support.fake_leg import Clock
from tests.unit.test_config import GOOD

BOARD = load_board("sim").panel
BUTTON, RED, GREEN = BOARD.mode_button.pin, BOARD.mode_led.red, BOARD.mode_led.green  # type: ignore[union-attr]
TRUNK1, TRUNK2 = (led.pin for led in BOARD.trunk_leds)
TRUNKS = """
[[trunks]]
name = "city1"
kind = "fxo"
username = "fxo1"
password = "Line-Secret-1"

[[trunks]]
name = "city2"
kind = "fxo"
username = "fxo2"
password = "Line-Secret-2"
"""
#: A Tuesday at 10:00 in Moscow: the default schedule says day. The panel and the mode
#: keeper both read this clock, never the wall clock.
TUESDAY_MORNING = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Moscow"))


class Rig:
    def __init__(self) -> None:
        self.clock = Clock()
        self.loop = EngineLoop(lambda ms: None, clock=self.clock)
        self.pins = MockFactory()
        self.panel = FrontPanel(BOARD, factory=self.pins, scheduler=self.loop)
        self.config = parse_config(GOOD + TRUNKS)
        self.modes = ModeKeeper(
            connect(":memory:"), lambda: self.config, clock=lambda: TUESDAY_MORNING
        )
        self.calls: list[Any] = []
        self.service = PanelService(
            self.panel,
            loop=self.loop,
            modes=self.modes,
            now=lambda: TUESDAY_MORNING,
            config=lambda: self.config,
            calls=lambda: self.calls,
        )
        self.loop.run_once()

    def press(self) -> None:
        button = self.pins.pin(BUTTON)
        button.drive_low()  # pulled up: a press shorts it to ground
        button.drive_high()
        self.loop.run_once()  # the press was posted to the engine's loop

    def lit(self, pin: int) -> bool:
        return bool(self.pins.pin(pin).state)

    def after(self, seconds: float) -> None:
        self.clock.now += seconds
        self.loop.run_once()


@pytest.fixture
def rig() -> Iterator[Rig]:
    made = Rig()
    yield made
    made.panel.close()
    made.pins.close()


def test_the_mode_button_steps_day_lunch_night_automatic_and_the_led_shows_it(rig: Rig) -> None:
    assert (rig.lit(RED), rig.lit(GREEN)) == (False, False)  # day by the schedule: off
    seen = []
    for _ in range(4):
        rig.press()
        described = rig.modes.describe(TUESDAY_MORNING)
        seen.append((described["mode"], rig.lit(RED), rig.lit(GREEN), described["override"]))
    assert [s[:3] for s in seen] == [
        ("day", False, False),
        ("lunch", False, True),
        ("night", True, False),
        ("day", False, False),  # automatic: the schedule again
    ]
    assert seen[2][3]["by"] == "panel" and seen[3][3] is None  # type: ignore[index]


class FakeCall:
    def __init__(self, trunk: str, *, answered: bool) -> None:
        self.trunks = [trunk]
        self.direction = "inbound"
        self.b_leg = object() if answered else None


def test_a_trunk_led_is_lit_while_busy_and_flashes_while_a_call_rings_in(rig: Rig) -> None:
    assert (rig.lit(TRUNK1), rig.lit(TRUNK2)) == (False, False)
    rig.calls = [FakeCall("city2", answered=False)]
    rig.after(0.5)
    flashes = []
    for _ in range(4):
        rig.after(FLASH_SECONDS)
        flashes.append(rig.lit(TRUNK2))
    assert flashes in ([True, False, True, False], [False, True, False, True])
    assert rig.lit(TRUNK1) is False
    rig.calls = [FakeCall("city2", answered=True)]
    rig.after(0.5)
    assert (rig.lit(TRUNK1), rig.lit(TRUNK2)) == (False, True)
    rig.after(FLASH_SECONDS * 3)
    assert rig.lit(TRUNK2) is True  # steady now
    rig.calls = []
    rig.after(0.5)
    assert rig.lit(TRUNK2) is False


def test_trunk_lights_follow_the_order_of_the_trunks() -> None:
    config = parse_config(GOOD + TRUNKS)
    calls: list[Any] = [FakeCall("city1", answered=True), FakeCall("city2", answered=False)]
    assert trunk_lights(config, calls) == [TrunkLight.BUSY, TrunkLight.RINGING]
