"""The one timing seam every driver uses: the engine's loop, or a test's movable clock.

Drivers never sleep nor start timer threads of their own: a door held open, an
amplifier warming up or a flashing LED is a timer on the scheduler they are
given, so the engine runs them on its thread and tests move time by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class Cancellable(Protocol):
    def cancel(self) -> None: ...


class Scheduler(Protocol):
    """``firmware.engine.loop.EngineLoop`` is one: ``now`` in seconds, ``call_later``."""

    now: Callable[[], float]

    def call_later(self, delay: float, fn: Callable[[], None]) -> Cancellable: ...
