"""Each department's service level over the stored queue waits, for the reports.

The engine counts a queue's service level since it started (``minipbx status``);
the reports need it over any days, so it is worked out again from the scenario
steps the store keeps: a ``queue`` step is one caller queued in the department it
names, from ``entered_at`` to ``left_at``, answered when its outcome is
``answered``. The arithmetic is ``firmware.routing.queue.ServiceLevel``'s, the
same as the engine's: answered within the target over every caller queued, so a
caller who gave up or asked for a callback counts against it. A caller refused by
a full queue (``full``) never queued; a wait not over yet is not counted.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import datetime

from firmware.routing.queue import ServiceLevel
from firmware.store.cdr import _iso


def service_levels(
    conn: sqlite3.Connection,
    targets: Mapping[str, float],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, ServiceLevel]:
    """Per department of ``targets`` (number -> its queue's service_level seconds), the
    waits that started in ``[since, until)``; a department nobody queued in has none."""
    if any(t is not None and t.tzinfo is None for t in (since, until)):
        raise ValueError("since and until need a time zone")
    rows = conn.execute(
        "SELECT target, outcome, "
        "round((julianday(left_at) - julianday(entered_at)) * 86400.0, 3) AS waited "
        "FROM scenario_steps WHERE kind = 'queue' AND left_at IS NOT NULL "
        "AND outcome != 'full' "
        "AND (:since IS NULL OR entered_at >= :since) AND (:until IS NULL OR entered_at < :until)",
        {"since": _iso(since) if since else None, "until": _iso(until) if until else None},
    ).fetchall()
    found = {department: ServiceLevel() for department in targets}
    for row in rows:
        level = found.get(row["target"])
        if level is None:
            continue
        level.record_offer()
        if row["outcome"] == "answered":
            level.record_answer(row["waited"], targets[row["target"]])
    return found
