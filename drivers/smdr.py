"""The call-record (SMDR) port: finished calls printed one line each, none lost, none twice.

A line is kept in the store's ``smdr_outbox`` until the port took all of it, so a
printer out of paper, an unplugged adapter or a reboot only delays lines; they
come out in the order the calls ended. The writer runs in its own thread: the
engine hands a line over without waiting, and a port that fails never touches a call.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from drivers.serial_line import SIMULATED, LineGoneError, SerialLine
from drivers.smdr_layout import Page
from firmware.config.smdr import Smdr
from firmware.store.db import connect

log = logging.getLogger(__name__)
NEWLINES = {"CRLF": b"\r\n", "LF": b"\n", "CR": b"\r"}


@dataclass(frozen=True)
class Handed:
    record: int
    line: str


@dataclass
class Printing:
    """A record's bytes (its line, and a header or perforation skip around it) that flow
    control stopped part way: the rest goes when the printer is ready, nothing twice."""

    outbox_id: int
    data: bytes
    sent: int
    page: Page


class CallRecordPort:
    def __init__(
        self,
        *,
        settings: Smdr,
        line: SerialLine,
        store: Path,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """``store``: the box's SQLite file; the writer thread opens its own connection.
        ``now`` stamps queued lines and the state shown in ``minipbx status``."""
        self._settings = settings
        self._line = line
        self._store_path = store
        self._now = now
        self._handed: queue.SimpleQueue[Handed] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="smdr", daemon=True)
        self._page = Page(settings)
        self._printing: Printing | None = None
        self._state_lock = threading.Lock()
        self._state = "starting"
        self._since = now()
        self._waiting = 0
        self.last_error: str | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout=5)

    def print_record(self, record: int, line: str) -> None:
        """Queues the line of call record ``record``; returns at once, from any thread."""
        self._handed.put(Handed(record, line))
        self._wake.set()

    def status(self) -> dict[str, Any]:
        with self._state_lock:
            return {
                "port": self._line.shown,
                "state": self._state,
                "since": self._since.isoformat(timespec="seconds"),
                "lines_waiting": self._waiting,
                "last_error": self.last_error,
            }

    def _run(self) -> None:
        conn = connect(self._store_path)
        try:
            while not self._stopping.is_set():
                self._wake.clear()  # before the turn: a wake during it is kept
                try:
                    self._keep_handed(conn)
                    sent = self._send_next(conn)
                except Exception as exc:  # a driver bug must not end the thread
                    log.exception("smdr: unexpected failure")
                    self._line.close()
                    self._lost(f"unexpected: {exc!r}")
                    sent = False
                if not sent:
                    self._wake.wait(self._settings.retry)
        finally:
            self._line.close()
            conn.close()

    def _keep_handed(self, conn: sqlite3.Connection) -> None:
        while True:
            try:
                handed = self._handed.get_nowait()
            except queue.Empty:
                break
            conn.execute(
                "INSERT OR IGNORE INTO smdr_outbox (call_record, line, queued_at) VALUES (?, ?, ?)",
                (handed.record, handed.line, self._now().isoformat()),
            )
        self._waiting = conn.execute("SELECT count(*) FROM smdr_outbox").fetchone()[0]

    def _send_next(self, conn: sqlite3.Connection) -> bool:
        """Sends the oldest kept line; False when there is none or the port cannot take it."""
        try:
            if not self._line.is_open:
                self._line.open()
                self._set_state("open")
            row = conn.execute("SELECT id, line FROM smdr_outbox ORDER BY id LIMIT 1").fetchone()
            if row is None:
                return False
            if not self._line.peer_present():
                raise LineGoneError(f"nobody reads {self._line.shown}")
            printing = self._printing
            if printing is None or printing.outbox_id != row["id"]:
                lines, page = self._page.add(row["line"])
                newline = NEWLINES[self._settings.newline]
                data = b"".join(text.encode("ascii", "replace") + newline for text in lines)
                printing = Printing(row["id"], data, 0, page)
            printing.sent += self._line.write(printing.data[printing.sent :])
        except LineGoneError as exc:
            if self._line.url != SIMULATED:
                self._line.close()
                self._printing = None  # a new session prints the cut line again, whole
            self._lost(str(exc))
            return False
        if printing.sent < len(printing.data):
            self._printing = printing  # the rest goes when the printer is ready
            self._lost(f"{self._line.shown} not ready (flow control)")
            return False
        self._printing = None
        self._page = printing.page
        conn.execute("DELETE FROM smdr_outbox WHERE id = ?", (row["id"],))
        self._waiting = max(0, self._waiting - 1)
        self._set_state("open")
        return True

    def _lost(self, why: str) -> None:
        with self._state_lock:
            if self._state != "lost":
                log.warning("smdr: %s; lines are kept until it is back", why)
                self._state, self._since = "lost", self._now()
            self.last_error = why

    def _set_state(self, state: str) -> None:
        with self._state_lock:
            if self._state != state:
                if self._state == "lost":
                    log.info("smdr: %s is back", self._line.shown)
                self._state, self._since = state, self._now()
