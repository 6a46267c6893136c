"""A department's call queue, as bookkeeping: who waits, for how long, who answers next.

The engine owns the legs and the music; this keeps the order and the figures,
so fairness (first come, first served; the member idle longest answers) is
tested without a call. Times are seconds on one monotonic clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Full:
    """The queue already holds ``max_length`` callers: the caller goes to the overflow."""

    max_length: int


@dataclass(frozen=True)
class Waiting:
    caller_id: str
    joined_at: float


@dataclass
class QueueState:
    """Callers in the order they joined; positions count from 1, as the caller hears them."""

    max_length: int
    callers: list[Waiting] = field(default_factory=list)

    def join(self, caller_id: str, now: float) -> int | Full:
        """The caller's position; joining again keeps the place already held."""
        if (place := self.position(caller_id)) is not None:
            return place
        if len(self.callers) >= self.max_length:
            return Full(self.max_length)
        self.callers.append(Waiting(caller_id, now))
        return len(self.callers)

    def leave(self, caller_id: str) -> None:
        """Answered, hung up, overflowed or called back: everyone behind moves up."""
        self.callers = [w for w in self.callers if w.caller_id != caller_id]

    def position(self, caller_id: str) -> int | None:
        ids = [w.caller_id for w in self.callers]
        return ids.index(caller_id) + 1 if caller_id in ids else None

    def waited(self, caller_id: str, now: float) -> float | None:
        found = next((w for w in self.callers if w.caller_id == caller_id), None)
        return None if found is None else now - found.joined_at

    def over_time(self, now: float, max_wait: float) -> list[str]:
        """Callers who have waited ``max_wait`` or more; they stay until the engine moves them."""
        return [w.caller_id for w in self.callers if now - w.joined_at >= max_wait]

    def over_time_in(self, caller_id: str, now: float, max_wait: float) -> float | None:
        """Seconds until the caller has waited ``max_wait``: 0 once over time, None if not here."""
        waited = self.waited(caller_id, now)
        return None if waited is None else max(0.0, max_wait - waited)


def longest_idle(free_members: list[str], last_call_end: dict[str, float]) -> str | None:
    """The free member whose last call ended longest ago; never called counts as longest.

    Ties go to the earlier member in config order (``free_members`` is in that order).
    """
    return min(free_members, key=lambda m: last_call_end.get(m, -math.inf), default=None)


def wrapping(member: str, last_end: dict[str, float], wrap_up: float, now: float) -> bool:
    """Still writing up the last call: not rung for ``wrap_up`` seconds after it ended."""
    return member in last_end and now < last_end[member] + wrap_up


def wrapping_members(
    members: list[str], last_end: dict[str, float], wrap_up: float, now: float
) -> set[str]:
    """The members still writing up their last call, not to be offered a queued caller."""
    return {m for m in members if wrapping(m, last_end, wrap_up, now)}


@dataclass
class ServiceLevel:
    """Per department: calls offered to the queue, answered, answered within the target.

    The service level is answered_within / offered: a caller who gave up counts
    against it, as the office sees it.
    """

    offered: int = 0
    answered: int = 0
    answered_within: int = 0

    def record_offer(self) -> None:
        self.offered += 1

    def record_answer(self, waited: float, service_level: float) -> None:
        """A member answered after ``waited`` seconds; ``service_level`` is the target."""
        self.answered += 1
        if waited <= service_level:
            self.answered_within += 1

    @property
    def percent(self) -> float | None:
        return 100.0 * self.answered_within / self.offered if self.offered else None


def next_announcement(joined_at: float, now: float, every: float) -> float:
    """When the caller next hears their position: every ``every`` s after joining, after now."""
    if now < joined_at:
        return joined_at + every
    return joined_at + (math.floor((now - joined_at) / every) + 1) * every
