"""Ringing a department: whom to ring when, by its strategy.

A ring plan is a timetable the engine follows from the moment the department
is dialed: at each action's ``at`` it starts ringing ``start`` and stops
ringing ``stop``; at ``plan_length`` every leg still ringing is stopped and the
scenario goes on. The engine knows who is free; routing only orders them.

- ``all``: every free member at once, for the department's ``ring_timeout``.
- ``sequential``: one member at a time, ``step`` seconds each, in config order.
- ``increasing``: one more member every ``step`` seconds, the earlier ones
  still ringing, so the first in the list has the longest chance.

A dial step's own ``ring_timeout`` replaces the department's for ``all`` and
cuts a sequential or increasing plan short.
"""

from __future__ import annotations

from dataclasses import dataclass

from firmware.config.inbound import Department


@dataclass(frozen=True)
class RingAction:
    at: float
    start: tuple[str, ...]
    stop: tuple[str, ...] = ()


def members_free(
    department: Department,
    busy: set[str],
    dnd: set[str],
    wrapping: set[str],
    registered: set[str],
) -> list[str]:
    """Members that may be rung now, in config order, each once.

    ``dnd`` is every extension not to disturb: the config's ``dnd = true`` and
    those who set it on their phone.
    """
    unavailable = busy | dnd | wrapping
    members = dict.fromkeys(department.members)
    return [m for m in members if m in registered and m not in unavailable]


def plan_length(
    department: Department, available: list[str], ring_timeout: float | None = None
) -> float:
    """Seconds from the start of the plan until it gives up; 0 when nobody is free."""
    if not available:
        return 0.0
    if department.strategy == "all":
        return float(ring_timeout or department.ring_timeout)
    whole = len(available) * department.step
    return float(min(whole, ring_timeout) if ring_timeout else whole)


def ring_plan(
    department: Department, available: list[str], ring_timeout: float | None = None
) -> list[RingAction]:
    """The timetable for ``available`` (free members, in config order)."""
    if department.strategy == "all":
        actions = [RingAction(0.0, tuple(available))] if available else []
    else:
        actions = [
            RingAction(
                i * department.step,
                (member,),
                (available[i - 1],) if i and department.strategy == "sequential" else (),
            )
            for i, member in enumerate(available)
        ]
    length = plan_length(department, available, ring_timeout)
    return [a for a in actions if a.at < length]
