"""The door lock's relay: ``unlock`` holds it open for a while; unlocking again extends it."""

from __future__ import annotations

import logging

from drivers.relay import Relay
from drivers.timing import Cancellable, Scheduler

log = logging.getLogger(__name__)

DEFAULT_OPEN_SECONDS = 5.0


class DoorRelay:
    """Timing runs on the scheduler it is given, so tests see the exact hold time."""

    def __init__(self, relay: Relay, scheduler: Scheduler) -> None:
        self.relay = relay
        self._scheduler = scheduler
        self._closing: Cancellable | None = None
        self.open_until: float | None = None

    @property
    def is_open(self) -> bool:
        return self.relay.energised

    def unlock(self, seconds: float = DEFAULT_OPEN_SECONDS) -> None:
        """Opens the lock for ``seconds`` from now; while already open, from now again."""
        if self._closing is not None:
            self._closing.cancel()
        self.relay.switch(True)
        self.open_until = self._scheduler.now() + seconds
        self._closing = self._scheduler.call_later(seconds, self._lock)
        log.info("relay %s open for %g s", self.relay.name, seconds)

    def _lock(self) -> None:
        self._closing = None
        self.open_until = None
        self.relay.switch(False)

    def status(self) -> dict[str, object]:
        return {**self.relay.status(), "open_until": self.open_until}
