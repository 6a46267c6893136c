"""The door openings log: every opening, which door, who opened it and how."""

from __future__ import annotations

import sqlite3
from typing import Any

from firmware.store.cdr import now


class DoorLog:
    def __init__(self, store: sqlite3.Connection) -> None:
        self._store = store

    def opened(self, *, door: str, by: str, how: str, relay_ok: bool) -> None:
        """``relay_ok`` False: the code was right but the relay failed (see the engine log)."""
        self._store.execute(
            "INSERT INTO door_openings (opened_at, door, opened_by, how, relay_ok) "
            "VALUES (?, ?, ?, ?, ?)",
            (now().isoformat(), door, by, how, int(relay_ok)),
        )

    def recent(self, limit: int = 10) -> list[dict[str, Any]]:
        rows = self._store.execute(
            "SELECT opened_at, door, opened_by, how, relay_ok FROM door_openings "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [{**dict(row), "relay_ok": bool(row["relay_ok"])} for row in rows]

    def last_per_door(self) -> dict[str, dict[str, Any]]:
        """Each door's latest opening, for the operator console."""
        rows = self._store.execute(
            "SELECT opened_at, door, opened_by, how, relay_ok FROM door_openings "
            "WHERE id IN (SELECT MAX(id) FROM door_openings GROUP BY door)"
        )
        return {row["door"]: {**dict(row), "relay_ok": bool(row["relay_ok"])} for row in rows}
