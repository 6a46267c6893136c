"""The call history the reports pages show: calls by filter, a call's path through its
scenarios, and the counts the charts draw. Read-only queries over the box's store."""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from firmware.store.cdr import _iso

DISPOSITIONS = ("answered", "no_answer", "busy", "cancelled", "failed", "interrupted")
DIRECTIONS = ("inbound", "outbound", "internal")
#: Queue waits drawn in these bands, seconds (the last is open-ended).
WAIT_BANDS = (0, 15, 30, 60, 120)


@dataclass(frozen=True)
class CallFilter:
    since: datetime | None = None
    until: datetime | None = None
    text: str = ""
    direction: str = ""
    disposition: str = ""

    def where(self) -> tuple[str, dict[str, Any]]:
        """The SQL condition and its parameters; only parameters carry what a user typed."""
        return (
            "(:since IS NULL OR calls.started_at >= :since)"
            " AND (:until IS NULL OR calls.started_at < :until)"
            " AND (:text = '' OR calls.caller LIKE :like OR calls.callee LIKE :like"
            " OR calls.dialed LIKE :like)"
            " AND (:direction = '' OR calls.direction = :direction)"
            " AND (:disposition = '' OR calls.disposition = :disposition)",
            {
                "since": _iso(self.since) if self.since else None,
                "until": _iso(self.until) if self.until else None,
                "text": self.text,
                "like": f"%{self.text}%",
                "direction": self.direction,
                "disposition": self.disposition,
            },
        )


def calls(conn: sqlite3.Connection, chosen: CallFilter, limit: int = 500) -> list[dict[str, Any]]:
    where, values = chosen.where()
    rows = conn.execute(
        f"SELECT * FROM calls WHERE {where} ORDER BY started_at DESC, id DESC LIMIT :limit",
        {**values, "limit": limit},
    ).fetchall()
    return [dict(r) for r in rows]


def call(conn: sqlite3.Connection, record: int) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM calls WHERE id = ?", (record,)).fetchone()
    return None if row is None else dict(row)


def call_path(conn: sqlite3.Connection, record: int) -> list[dict[str, Any]]:
    """Each scenario pass of the call, in order, with its steps and how each ended."""
    passes = [
        dict(p)
        for p in conn.execute(
            "SELECT * FROM scenario_passes WHERE call_record = ? ORDER BY started_at, id",
            (record,),
        )
    ]
    for one in passes:
        one["steps"] = [
            dict(s)
            for s in conn.execute(
                "SELECT * FROM scenario_steps WHERE pass_id = ? ORDER BY position", (one["id"],)
            )
        ]
    return passes


def per_hour(
    conn: sqlite3.Connection, chosen: CallFilter, zone: ZoneInfo
) -> dict[int, Counter[str]]:
    """Calls by hour of the day (the box's time zone) and disposition."""
    where, values = chosen.where()
    hours: dict[int, Counter[str]] = {h: Counter() for h in range(24)}
    for row in conn.execute(
        f"SELECT calls.started_at, calls.disposition FROM calls WHERE {where}", values
    ).fetchall():
        hour = datetime.fromisoformat(row["started_at"]).astimezone(zone).hour
        hours[hour][row["disposition"] or "in progress"] += 1
    return hours


def missed_by_reason(conn: sqlite3.Connection, chosen: CallFilter) -> list[tuple[str, int]]:
    """Calls nobody answered, by how they ended (no answer, busy, caller gave up ...)."""
    where, values = chosen.where()
    rows = conn.execute(
        f"SELECT disposition, count(*) AS n FROM calls WHERE {where} "
        "AND disposition IS NOT NULL AND disposition != 'answered' "
        "GROUP BY disposition ORDER BY n DESC, disposition",
        values,
    ).fetchall()
    return [(r["disposition"], r["n"]) for r in rows]


def queue_waits(conn: sqlite3.Connection, chosen: CallFilter) -> list[tuple[str, int]]:
    """How long callers waited in a department's queue, in bands, over finished waits."""
    where, values = chosen.where()
    rows = conn.execute(
        "SELECT (julianday(s.left_at) - julianday(s.entered_at)) * 86400.0 AS waited "
        "FROM scenario_steps s JOIN scenario_passes p ON p.id = s.pass_id "
        f"JOIN calls ON calls.id = p.call_record WHERE s.kind = 'queue' "
        f"AND s.left_at IS NOT NULL AND {where}",
        values,
    ).fetchall()
    labels = [f"{a}-{b} s" for a, b in pairwise(WAIT_BANDS)]
    labels.append(f"{WAIT_BANDS[-1]} s +")
    counts = Counter(sum(1 for edge in WAIT_BANDS[1:] if row["waited"] >= edge) for row in rows)
    return [(label, counts[i]) for i, label in enumerate(labels)]
