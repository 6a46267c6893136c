"""Call detail records: a row opens when a call arrives and closes when it ends.

A row is written at the start, not only at the end, so a crash can never lose
a call: at the next start every row still open is closed as ``interrupted``
at the engine's last heartbeat.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from firmware.routing.outcome import Disposition, Party


def now() -> datetime:
    return datetime.now(UTC)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class CallEnd:
    disposition: Disposition
    hangup_by: Party
    sip_status: int | None = None
    reason: str | None = None


#: Columns callers may fill through ``open`` and ``note``; names never come from outside.
DETAILS = frozenset(
    {"direction", "dialed", "number_class", "trunk", "destination", "queued_from", "transferred_to"}
)


def _check_columns(details: Mapping[str, object]) -> None:
    unknown = set(details) - DETAILS
    if unknown:
        raise ValueError(f"not call record columns: {sorted(unknown)}")


class CallRecords:
    """The calls table, written by the engine and read by the CLI and web UI."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        on_closed: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        """``on_closed`` receives each closed row (the call-record port prints it)."""
        self._conn = conn
        self._on_closed = on_closed

    def open(
        self,
        *,
        call_id: str,
        caller: str,
        callee: str,
        at: datetime | None = None,
        **details: str | int | None,
    ) -> int:
        """A new record; ``details`` are further columns (direction, dialed, trunk...)."""
        _check_columns(details)
        columns = ["call_id", "caller", "callee", "started_at", *details]
        values = [call_id, caller, callee, _iso(at or now()), *details.values()]
        cur = self._conn.execute(
            f"INSERT INTO calls ({', '.join(columns)}) VALUES ({', '.join('?' * len(values))})",
            values,
        )
        return int(cur.lastrowid or 0)

    def note(self, record: int, **details: str | int | None) -> None:
        """Adds what became known during the call: the trunk it took, who it reached."""
        _check_columns(details)
        assignments = ", ".join(f"{column} = ?" for column in details)
        self._conn.execute(
            f"UPDATE calls SET {assignments} WHERE id = ?", [*details.values(), record]
        )

    def outbound_since(self, caller: str, since: datetime) -> int:
        """Outside calls an extension placed on a line since ``since``: the hourly limit."""
        row = self._conn.execute(
            "SELECT count(*) FROM calls WHERE caller = ? AND direction = 'outbound' "
            "AND trunk IS NOT NULL AND started_at >= ?",
            (caller, _iso(since)),
        ).fetchone()
        return int(row[0])

    def answered(self, record: int, by: str, at: datetime | None = None) -> None:
        """``by``: who answered, an extension or the number an outside call reached."""
        self._conn.execute(
            "UPDATE calls SET answered_at = ?, answered_by = ? "
            "WHERE id = ? AND answered_at IS NULL",
            (_iso(at or now()), by, record),
        )

    def last_talked(self, number: str, since: datetime) -> str | None:
        """The extension that last talked with ``number`` (E.164), in or out, since ``since``."""
        row = self._conn.execute(
            """SELECT CASE direction WHEN 'outbound' THEN caller ELSE answered_by END
               FROM calls
               WHERE talk_seconds > 0 AND started_at >= ?
                 AND ((direction = 'inbound' AND caller = ?)
                      OR (direction = 'outbound' AND callee = ?))
               ORDER BY started_at DESC, id DESC LIMIT 1""",
            (_iso(since), number, number),
        ).fetchone()
        return row[0] if row else None

    def close(self, record: int, end: CallEnd, at: datetime | None = None) -> None:
        ended = _iso(at or now())
        cur = self._conn.execute(
            """UPDATE calls SET ended_at = ?, disposition = ?, hangup_by = ?, sip_status = ?,
                   reason = ?,
                   talk_seconds = CASE WHEN answered_at IS NULL THEN 0 ELSE
                       round((julianday(?) - julianday(answered_at)) * 86400.0, 3) END
               WHERE id = ? AND ended_at IS NULL""",
            (ended, end.disposition, end.hangup_by, end.sip_status, end.reason, ended, record),
        )
        if cur.rowcount and self._on_closed is not None:
            row = self._conn.execute("SELECT * FROM calls WHERE id = ?", (record,)).fetchone()
            self._on_closed(dict(row))

    def heartbeat(self, at: datetime | None = None) -> None:
        self._conn.execute(
            "INSERT INTO engine_state (id, alive_at) VALUES (1, ?) "
            "ON CONFLICT (id) DO UPDATE SET alive_at = excluded.alive_at",
            (_iso(at or now()),),
        )

    def close_interrupted(self, at: datetime | None = None) -> int:
        """Closes what a killed engine left open; the end is its last sign of life."""
        row = self._conn.execute("SELECT alive_at FROM engine_state WHERE id = 1").fetchone()
        fallback = _iso(at or now())
        cur = self._conn.execute(
            """UPDATE calls SET
                   ended_at = max(started_at, coalesce(answered_at, started_at), ?),
                   disposition = 'interrupted', hangup_by = 'system',
                   reason = 'engine stopped during the call',
                   talk_seconds = CASE WHEN answered_at IS NULL THEN 0 ELSE max(0, round(
                       (julianday(max(answered_at, ?)) - julianday(answered_at)) * 86400.0, 3))
                       END
               WHERE ended_at IS NULL""",
            (row["alive_at"] if row else fallback, row["alive_at"] if row else fallback),
        )
        return cur.rowcount

    def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        rows = self._conn.execute(
            "SELECT * FROM calls ORDER BY id DESC LIMIT ?", (limit,)
        ).fetchall()
        return [dict(r) for r in rows]
