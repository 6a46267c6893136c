"""The front panel: a mode button and LEDs for the mode and each trunk, on gpiozero.

The office habit: the mode LED is off by day, red at night, green at lunch; a
trunk's LED is lit while the line is busy and flashes while a call rings in on
it. Pressing the button steps day -> lunch -> night -> automatic (the schedule).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from gpiozero import LED, Button
from gpiozero.pins import Factory

from drivers.timing import Cancellable, Scheduler
from firmware.boards import Panel

#: What the button steps through; "automatic" hands the mode back to the schedule.
CYCLE = ("day", "lunch", "night", "automatic")
#: The mode LED's colours: (red, green) lit for each mode; any other mode shows both.
COLOURS = {"day": (False, False), "night": (True, False), "lunch": (False, True)}
FLASH_SECONDS = 0.5


class TrunkLight(StrEnum):
    IDLE = "idle"
    BUSY = "busy"
    RINGING = "ringing"


def _nobody(mode: str) -> None:
    """Until the engine listens, a press only steps the selection."""


class FrontPanel:
    """``when_mode_chosen`` is called on each press with the mode now selected (gpiozero's
    own style); for a real pin that is on gpiozero's thread, so the engine sets a function
    that posts to its loop."""

    def __init__(self, spec: Panel, *, factory: Factory, scheduler: Scheduler) -> None:
        self._scheduler = scheduler
        self.when_mode_chosen: Callable[[str], None] = _nobody
        self.selected = "automatic"
        self.shown_mode = ""
        self._button: Button | None = None
        if spec.mode_button is not None:
            self._button = Button(
                spec.mode_button.pin, pull_up=spec.mode_button.pull_up, pin_factory=factory
            )
            self._button.when_pressed = self._pressed
        led = spec.mode_led
        self._mode_leds: list[LED] = []
        if led is not None:
            self._mode_leds = [
                LED(pin, active_high=led.active_high, pin_factory=factory)
                for pin in (led.red, led.green)
            ]
        self._trunk_leds = [
            LED(t.pin, active_high=t.active_high, pin_factory=factory) for t in spec.trunk_leds
        ]
        self.trunk_lights = [TrunkLight.IDLE] * len(self._trunk_leds)
        self._flashing: Cancellable | None = None

    def _pressed(self) -> None:
        self.selected = CYCLE[(CYCLE.index(self.selected) + 1) % len(CYCLE)]
        self.when_mode_chosen(self.selected)

    def show_mode(self, mode: str) -> None:
        """Lights the mode LED for the mode calls follow now."""
        self.shown_mode = mode
        for led, lit in zip(self._mode_leds, COLOURS.get(mode, (True, True)), strict=False):
            led.value = lit

    def show_trunks(self, lights: list[TrunkLight]) -> None:
        """One light per trunk LED, in the order of the board's trunk_leds."""
        self.trunk_lights = (lights + [TrunkLight.IDLE] * len(self._trunk_leds))[
            : len(self._trunk_leds)
        ]
        for led, light in zip(self._trunk_leds, self.trunk_lights, strict=True):
            if light is not TrunkLight.RINGING:
                led.value = light is TrunkLight.BUSY
        ringing = TrunkLight.RINGING in self.trunk_lights
        if ringing and self._flashing is None:
            self._flash()
        elif not ringing and self._flashing is not None:
            self._flashing.cancel()
            self._flashing = None

    def _flash(self) -> None:
        for led, light in zip(self._trunk_leds, self.trunk_lights, strict=True):
            if light is TrunkLight.RINGING:
                led.toggle()
        self._flashing = self._scheduler.call_later(FLASH_SECONDS, self._flash)

    def status(self) -> dict[str, object]:
        return {
            "selected": self.selected,
            "mode_shown": self.shown_mode,
            "trunks": [str(light) for light in self.trunk_lights],
        }

    def close(self) -> None:
        if self._flashing is not None:
            self._flashing.cancel()
        for led in [*self._mode_leds, *self._trunk_leds]:
            led.close()
        if self._button is not None:
            self._button.close()
