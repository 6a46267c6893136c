"""Recorded calls on disk, linked from their call records, and the sweep that keeps them
within the box's retention and size cap.

The file system says how big the recordings are; the calls table says which
call each one belongs to and when it started, so the oldest go first. A
recording still being written is never deleted, but counts towards the cap.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from firmware.store.cdr import now

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Removed:
    record: int
    path: Path
    why: str  # "retention" or "size_cap", as in calls.recording_removed


class RecordingArchive:
    """Where recordings go (``directory``) and which of them are still kept."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        directory: Path,
        *,
        clock: Callable[[], datetime] = now,
    ) -> None:
        self._conn = conn
        self.directory = directory
        self._clock = clock

    def new_file(self, record: int) -> Path:
        """The WAV a recording of call ``record`` is written to, linked from its record."""
        day = self.directory / f"{self._clock():%Y-%m-%d}"
        for folder in (self.directory, day):
            folder.mkdir(mode=0o700, exist_ok=True)
        path = day / f"call-{record}.wav"
        # Conversations are private: the file is the box user's alone before pjmedia writes it.
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        self._conn.execute(
            "UPDATE calls SET recording = ? WHERE id = ?",
            (str(path.relative_to(self.directory)), record),
        )
        return path

    def path(self, record: int) -> Path | None:
        row = self._conn.execute("SELECT recording FROM calls WHERE id = ?", (record,)).fetchone()
        return self.directory / row[0] if row and row[0] else None

    def sweep(self, *, keep_days: int, max_bytes: int) -> list[Removed]:
        """Deletes recordings of ended calls older than ``keep_days``, then the oldest ones
        until all of them together fit in ``max_bytes``."""
        rows = self._conn.execute(
            "SELECT id, recording, started_at, ended_at IS NOT NULL FROM calls "
            "WHERE recording IS NOT NULL ORDER BY started_at, id"
        ).fetchall()
        cutoff = self._clock() - timedelta(days=keep_days)
        removed: list[Removed] = []
        kept: list[tuple[int, Path, int]] = []
        total = 0
        for record, name, started, ended in rows:
            path = self.directory / name
            if ended and datetime.fromisoformat(started) < cutoff:
                removed.append(self._remove(record, path, "retention"))
                continue
            size = _size(path)
            total += size
            if ended:
                kept.append((record, path, size))
        for record, path, size in kept:
            if total <= max_bytes:
                break
            removed.append(self._remove(record, path, "size_cap"))
            total -= size
        return removed

    def _remove(self, record: int, path: Path, why: str) -> Removed:
        path.unlink(missing_ok=True)
        self._conn.execute(
            "UPDATE calls SET recording = NULL, recording_removed = ? WHERE id = ?", (why, record)
        )
        log.info("recording of call %d deleted (%s): %s", record, why, path)
        return Removed(record, path, why)


def _size(path: Path) -> int:
    try:
        return os.stat(path).st_size
    except FileNotFoundError:
        return 0
