"""The tables Kamailio's presence modules check for at start (BLF).

Subscriptions and published states are kept in memory (``subs_db_mode`` 0,
``publ_cache`` 2, pua's ``db_mode`` 0), but presence and pua still check their
tables' versions when they start. The schema is Kamailio's own, as its
package ships it for SQLite, so it always matches the modules installed.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

KAMAILIO_PRESENCE_SCHEMA = Path("/usr/share/kamailio/db_sqlite/presence-create.sql")


def create_presence_tables(db_path: Path, schema: Path = KAMAILIO_PRESENCE_SCHEMA) -> None:
    """Creates presence's and pua's tables in Kamailio's database unless they exist."""
    conn = sqlite3.connect(db_path, timeout=5.0, isolation_level=None)
    try:
        found = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'pua'").fetchone()
        if found is None:
            conn.executescript(f"BEGIN IMMEDIATE;\n{schema.read_text()}\nCOMMIT;")
    finally:
        conn.close()
