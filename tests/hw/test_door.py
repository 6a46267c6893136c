"""The door relay on MockFactory pins: held open for the set time, extended by a second unlock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gpiozero.pins.mock import MockFactory

from drivers.door import DoorRelay
from drivers.relay import Relay
from firmware.engine.loop import EngineLoop
from tests.support.fake_leg import Clock

PIN = 17


class Rig:
    def __init__(self, *, active_high: bool) -> None:
        self.clock = Clock()
        self.loop = EngineLoop(lambda ms: None, clock=self.clock)
        self.pins = MockFactory()
        relay = Relay(
            "door1", pin=PIN, active_high=active_high, factory=self.pins, clock=self.clock
        )
        self.door = DoorRelay(relay, self.loop)
        self.pin = self.pins.pin(PIN)
        self.pin.clear_states()  # from the relay at rest on

    def states(self) -> list[bool]:
        """Every level the pin went through (gpiozero's assert_states stops at the shorter)."""
        return [bool(s.state) for s in self.pin.states]

    def after(self, seconds: float) -> None:
        self.clock.now += seconds
        self.loop.run_once()

    def held(self) -> list[float]:
        """How long the relay stayed energised each time, by the clock the door was given."""
        history = self.door.relay.history
        return [off[0] - on[0] for on, off in zip(history[::2], history[1::2], strict=False)]


@pytest.fixture
def rig() -> Iterator[Rig]:
    made = Rig(active_high=True)
    yield made
    made.pins.close()


def test_unlock_holds_the_lock_open_for_exactly_the_set_time(rig: Rig) -> None:
    rig.door.unlock(5.0)
    assert rig.door.is_open and rig.pin.state is True
    rig.after(4.99)
    assert rig.pin.state is True
    rig.after(0.01)
    assert rig.pin.state is False and not rig.door.is_open
    assert rig.states() == [False, True, False]
    assert rig.held() == [5.0]


def test_unlocking_again_while_open_extends_it_from_then(rig: Rig) -> None:
    rig.door.unlock(5.0)
    rig.after(3.0)
    rig.door.unlock(5.0)
    rig.after(4.0)  # 7 s after the first unlock: the first 5 s would have ended
    assert rig.pin.state is True
    rig.after(1.0)
    assert rig.states() == [False, True, False]
    assert rig.held() == [8.0]


def test_an_active_low_relay_hat_pulls_the_pin_low_to_open() -> None:
    rig = Rig(active_high=False)
    assert rig.pin.state is True  # at rest the coil is off: the pin is high
    rig.door.unlock(2.0)
    assert rig.pin.state is False
    rig.after(2.0)
    assert rig.states() == [True, False, True]
    rig.pins.close()
