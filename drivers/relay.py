"""A relay on a GPIO pin, remembering when it switched so ``minipbx status`` can show it."""

from __future__ import annotations

from collections.abc import Callable

from gpiozero import OutputDevice
from gpiozero.pins import Factory

#: Switchings kept for status: enough to see the last few door openings.
HISTORY = 20


class Relay:
    """``active_high`` comes from the board: relay HATs usually energise on a low pin."""

    def __init__(
        self,
        name: str,
        *,
        pin: int,
        active_high: bool,
        factory: Factory,
        clock: Callable[[], float],
    ) -> None:
        self.name = name
        self._clock = clock
        self._device = OutputDevice(
            pin, active_high=active_high, initial_value=False, pin_factory=factory
        )
        self.history: list[tuple[float, bool]] = []

    @property
    def energised(self) -> bool:
        return bool(self._device.value)

    def switch(self, on: bool) -> None:
        if on == self.energised:
            return
        if on:
            self._device.on()
        else:
            self._device.off()
        self.history = [*self.history, (self._clock(), on)][-HISTORY:]

    def status(self) -> dict[str, object]:
        return {
            "on": self.energised,
            "history": [[at, on] for at, on in self.history],
        }

    def close(self) -> None:
        self._device.close()
