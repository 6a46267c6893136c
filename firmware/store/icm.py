"""ICM's decisions, one row each, with the trail that explains them.

``trail`` is JSON: ``[{"source", "verdict", "why", "extension"}]`` in the order
the sources were walked. ``outcome`` says what became of a call ICM rang a
manager for: ``answered``, ``no_answer``, ``busy``, or ``left`` (the caller hung
up while the manager rang); it stays NULL when ICM rang nobody.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict
from datetime import datetime
from typing import Any

from firmware.routing.icm import IcmDecision
from firmware.store.cdr import _iso


def record(
    conn: sqlite3.Connection,
    decision: IcmDecision,
    *,
    call_record: int,
    pass_id: int | None,
    at: datetime,
) -> int:
    trail = json.dumps([asdict(entry) for entry in decision.trail], ensure_ascii=False)
    cur = conn.execute(
        """INSERT INTO icm_decisions (call_record, pass_id, decided_at, caller, number, action,
               source, extension, target, trail)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            call_record,
            pass_id,
            _iso(at),
            decision.caller,
            decision.number,
            decision.action,
            decision.source,
            decision.extension,
            str(decision.target) if decision.target else None,
            trail,
        ),
    )
    return int(cur.lastrowid or 0)


def close(conn: sqlite3.Connection, decision_id: int, outcome: str) -> None:
    conn.execute(
        "UPDATE icm_decisions SET outcome = ? WHERE id = ? AND outcome IS NULL",
        (outcome, decision_id),
    )


def of_call(conn: sqlite3.Connection, call_record: int) -> list[dict[str, Any]]:
    """A call's decisions, oldest first, with the trail decoded."""
    rows = conn.execute(
        "SELECT * FROM icm_decisions WHERE call_record = ? ORDER BY id", (call_record,)
    ).fetchall()
    return [{**dict(row), "trail": json.loads(row["trail"])} for row in rows]
