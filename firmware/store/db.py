"""One SQLite file per box, in WAL mode, migrated forward with PRAGMA user_version.

WAL lets the CLI and the web UI read call records while the engine writes them,
and keeps committed rows safe when power is cut.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

MIGRATIONS: list[str] = [
    """
    CREATE TABLE calls (
        id INTEGER PRIMARY KEY,
        call_id TEXT NOT NULL,
        caller TEXT NOT NULL,
        callee TEXT NOT NULL,
        started_at TEXT NOT NULL,
        answered_at TEXT,
        ended_at TEXT,
        disposition TEXT CHECK (disposition IN
            ('answered', 'no_answer', 'busy', 'cancelled', 'failed', 'interrupted')),
        talk_seconds REAL,
        hangup_by TEXT CHECK (hangup_by IN ('caller', 'callee', 'system')),
        sip_status INTEGER,
        reason TEXT
    );
    CREATE INDEX calls_started ON calls (started_at);
    CREATE INDEX calls_open ON calls (ended_at) WHERE ended_at IS NULL;
    CREATE TABLE engine_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        alive_at TEXT NOT NULL
    );
    """,
    # Outside lines: which way a call went, on which trunk, what kind of number, and
    # calls waiting for a line (queued). SQLite cannot widen a CHECK, so the table is rebuilt.
    """
    CREATE TABLE calls_v2 (
        id INTEGER PRIMARY KEY,
        call_id TEXT NOT NULL,
        caller TEXT NOT NULL,
        callee TEXT NOT NULL,
        started_at TEXT NOT NULL,
        answered_at TEXT,
        ended_at TEXT,
        disposition TEXT CHECK (disposition IN ('answered', 'no_answer', 'busy', 'cancelled',
            'failed', 'interrupted', 'queued')),
        talk_seconds REAL,
        hangup_by TEXT CHECK (hangup_by IN ('caller', 'callee', 'system')),
        sip_status INTEGER,
        reason TEXT,
        direction TEXT NOT NULL DEFAULT 'internal'
            CHECK (direction IN ('internal', 'inbound', 'outbound')),
        dialed TEXT,
        number_class TEXT,
        trunk TEXT,
        destination TEXT,
        queued_from INTEGER REFERENCES calls_v2 (id)
    );
    INSERT INTO calls_v2 (id, call_id, caller, callee, started_at, answered_at, ended_at,
        disposition, talk_seconds, hangup_by, sip_status, reason, dialed)
        SELECT id, call_id, caller, callee, started_at, answered_at, ended_at, disposition,
            talk_seconds, hangup_by, sip_status, reason, callee FROM calls;
    DROP TABLE calls;
    ALTER TABLE calls_v2 RENAME TO calls;
    CREATE INDEX calls_started ON calls (started_at);
    CREATE INDEX calls_open ON calls (ended_at) WHERE ended_at IS NULL;
    CREATE INDEX calls_outbound ON calls (caller, started_at) WHERE direction = 'outbound'
    """,
    # Inbound distribution: voicemail messages (the WAV files live under the home's
    # voicemail/ directory, greetings are files only), what each scenario pass did for the
    # seed's analytics (firmware/store/analytics.py defines the outcomes), engine state that
    # must survive a restart (the forced operating mode), and callers waiting for a callback.
    """
    CREATE TABLE voicemail (
        id INTEGER PRIMARY KEY,
        mailbox TEXT NOT NULL,
        caller TEXT NOT NULL,
        caller_name TEXT,
        received_at TEXT NOT NULL,
        seconds REAL NOT NULL DEFAULT 0,
        path TEXT NOT NULL,
        heard INTEGER NOT NULL DEFAULT 0 CHECK (heard IN (0, 1)),
        deleted_at TEXT,
        call_record INTEGER REFERENCES calls (id),
        emailed_at TEXT,
        email_error TEXT
    );
    CREATE INDEX voicemail_mailbox ON voicemail (mailbox, received_at) WHERE deleted_at IS NULL;
    CREATE TABLE scenario_passes (
        id INTEGER PRIMARY KEY,
        call_record INTEGER REFERENCES calls (id),
        scenario TEXT NOT NULL,
        number TEXT NOT NULL,
        caller TEXT NOT NULL,
        mode TEXT,
        call_type TEXT NOT NULL DEFAULT 'inbound'
            CHECK (call_type IN ('internal', 'inbound', 'outbound')),
        started_at TEXT NOT NULL,
        ended_at TEXT,
        outcome TEXT CHECK (outcome IN ('answered', 'no_talk', 'transferred', 'voicemail',
            'callback', 'hangup', 'abandoned', 'forwarded')),
        option TEXT,
        answered_by TEXT,
        talk_seconds REAL NOT NULL DEFAULT 0,
        termination TEXT CHECK (termination IN ('caller', 'callee', 'system', 'timeout')),
        repeated INTEGER NOT NULL DEFAULT 0 CHECK (repeated IN (0, 1)),
        group_name TEXT
    );
    CREATE INDEX scenario_passes_started ON scenario_passes (started_at);
    CREATE INDEX scenario_passes_repeat ON scenario_passes (scenario, caller, started_at);
    CREATE INDEX scenario_passes_open ON scenario_passes (ended_at) WHERE ended_at IS NULL;
    CREATE TABLE scenario_steps (
        id INTEGER PRIMARY KEY,
        pass_id INTEGER NOT NULL REFERENCES scenario_passes (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        kind TEXT NOT NULL,
        target TEXT,
        entered_at TEXT NOT NULL,
        left_at TEXT,
        outcome TEXT CHECK (outcome IN ('completed', 'answered', 'no_answer', 'busy', 'timeout',
            'invalid', 'hangup', 'full', 'callback') OR (outcome GLOB 'chose:[0-9*#]*'
            AND outcome NOT GLOB 'chose:*[^0-9*#]*')),
        UNIQUE (pass_id, position)
    );
    CREATE TABLE box_state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE callbacks (
        id INTEGER PRIMARY KEY,
        department TEXT NOT NULL,
        number TEXT NOT NULL,
        requested_at TEXT NOT NULL,
        done_at TEXT,
        outcome TEXT,
        call_record INTEGER REFERENCES calls (id)
    );
    CREATE INDEX callbacks_waiting ON callbacks (department, requested_at) WHERE done_at IS NULL
    """,
    # ICM: who answered each call (the history source asks who last talked with a number,
    # stored in E.164 as caller of inbound and callee of outbound calls), and every ICM
    # decision with its trail (firmware/store/icm.py).
    """
    ALTER TABLE calls ADD COLUMN answered_by TEXT;
    CREATE INDEX calls_inbound_caller ON calls (caller, started_at) WHERE direction = 'inbound';
    CREATE INDEX calls_outbound_callee ON calls (callee, started_at)
        WHERE direction = 'outbound';
    CREATE TABLE icm_decisions (
        id INTEGER PRIMARY KEY,
        call_record INTEGER NOT NULL REFERENCES calls (id),
        pass_id INTEGER REFERENCES scenario_passes (id),
        decided_at TEXT NOT NULL,
        caller TEXT NOT NULL,
        number TEXT,
        action TEXT NOT NULL CHECK (action IN ('ring', 'default', 'next')),
        source TEXT,
        extension TEXT,
        target TEXT,
        trail TEXT NOT NULL,
        outcome TEXT CHECK (outcome IN ('answered', 'no_answer', 'busy', 'left'))
    );
    CREATE INDEX icm_decisions_call ON icm_decisions (call_record)
    """,
    # Transfer: the extension a call was handed to by the one who answered it.
    """
    ALTER TABLE calls ADD COLUMN transferred_to TEXT
    """,
    # Call recording: the call's WAV (relative to the home's recordings/), and why it was
    # deleted (retention, size_cap) once the sweep took it (firmware/store/recordings.py).
    """
    ALTER TABLE calls ADD COLUMN recording TEXT;
    ALTER TABLE calls ADD COLUMN recording_removed TEXT
        CHECK (recording_removed IN ('retention', 'size_cap'));
    CREATE INDEX calls_recorded ON calls (started_at) WHERE recording IS NOT NULL
    """,
    # Doors: every opening, by whom and how (firmware/store/door.py).
    """
    CREATE TABLE door_openings (
        id INTEGER PRIMARY KEY,
        opened_at TEXT NOT NULL,
        door TEXT NOT NULL,
        opened_by TEXT NOT NULL,
        how TEXT NOT NULL CHECK (how IN ('during_call', 'direct_code')),
        relay_ok INTEGER NOT NULL
    );
    CREATE INDEX door_openings_door ON door_openings (door, opened_at)
    """,
    # Call-record port (drivers/smdr.py): lines the printer has not taken yet, oldest first.
    """
    CREATE TABLE smdr_outbox (
        id INTEGER PRIMARY KEY,
        call_record INTEGER NOT NULL UNIQUE,
        line TEXT NOT NULL,
        queued_at TEXT NOT NULL
    )
    """,
    # Doors opened from the operator console (firmware/engine/console.py) are logged too.
    """
    CREATE TABLE door_openings_new (
        id INTEGER PRIMARY KEY,
        opened_at TEXT NOT NULL,
        door TEXT NOT NULL,
        opened_by TEXT NOT NULL,
        how TEXT NOT NULL CHECK (how IN ('during_call', 'direct_code', 'console')),
        relay_ok INTEGER NOT NULL
    );
    INSERT INTO door_openings_new SELECT id, opened_at, door, opened_by, how, relay_ok
        FROM door_openings;
    DROP TABLE door_openings;
    ALTER TABLE door_openings_new RENAME TO door_openings;
    CREATE INDEX door_openings_door ON door_openings (door, opened_at)
    """,
]


def make_private(path: Path) -> None:
    """Creates ``path`` readable by the box's user only, and keeps it and its WAL files so.

    The store holds who called whom, the voicemail index and the audit trail.
    SQLite gives new -wal and -shm files the mode of the database file.
    """
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    for name in (path.name, f"{path.name}-wal", f"{path.name}-shm"):
        with contextlib.suppress(FileNotFoundError):
            (path.parent / name).chmod(0o600)


def connect(path: str | Path) -> sqlite3.Connection:
    """Opens the store, creating and migrating it as needed."""
    if str(path) != ":memory:":
        make_private(Path(path))
    conn = sqlite3.connect(path, timeout=5.0, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    migrate(conn)
    return conn


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One commit for every write made inside, so a call event that touches its record,
    its scenario step and its queue row costs one journal sync instead of one per field.

    Writes made before an error are kept, not rolled back: they record what really
    happened to other calls in the same engine turn. Nested use joins the outer one.
    """
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")


def migrate(conn: sqlite3.Connection) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise RuntimeError(
            f"store schema version {version} is newer than this firmware ({len(MIGRATIONS)})"
        )
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in script.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
