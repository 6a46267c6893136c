"""When to restart a crashed engine, and when to stop trying.

Kept apart from the processes so the rule can be checked with plain numbers:
the caller passes the time (``time.monotonic()`` in the supervisor), nothing
here reads a clock.
"""

from __future__ import annotations

from collections import deque

from firmware.config.schema import Supervisor


class RestartBudget:
    """Crashes within ``restart_window`` seconds decide the wait before the next restart.

    The first restart comes after ``restart_delay`` (calls are taken again at
    once); each further crash in the window waits twice as long as the one
    before, from ``restart_backoff`` up to ``restart_backoff_max``; the
    ``restart_limit``-th crash in the window means giving up.
    """

    def __init__(self, rules: Supervisor) -> None:
        self.rules = rules
        self._crashes: deque[float] = deque()

    @property
    def recent(self) -> int:
        """Crashes counted in the window at the last ``crashed`` call."""
        return len(self._crashes)

    def crashed(self, at: float) -> float | None:
        """Seconds to wait before restarting after a crash at ``at``; None to give up."""
        while self._crashes and at - self._crashes[0] > self.rules.restart_window:
            self._crashes.popleft()
        self._crashes.append(at)
        count = len(self._crashes)
        if count >= self.rules.restart_limit:
            return None
        if count == 1:
            return self.rules.restart_delay
        doubling: int = 2 ** (count - 2)  # a whole number: count is at least 2 here
        return min(self.rules.restart_backoff * doubling, self.rules.restart_backoff_max)
