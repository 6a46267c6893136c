"""Kamailio's subscriber table, written from pbx.toml.

Kamailio reads credentials from SQLite on every request, so rewriting this
table is all it takes for an added extension or a changed password to take
effect at once. Only HA1 digests are stored: the file never holds a password.
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from firmware.config import Config

_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS version ("
    " id INTEGER PRIMARY KEY, table_name VARCHAR(32) NOT NULL UNIQUE,"
    " table_version INTEGER DEFAULT 0 NOT NULL)",
    "CREATE TABLE IF NOT EXISTS subscriber ("
    " id INTEGER PRIMARY KEY, username VARCHAR(64) DEFAULT '' NOT NULL,"
    " domain VARCHAR(64) DEFAULT '' NOT NULL, password VARCHAR(64) DEFAULT '' NOT NULL,"
    " ha1 VARCHAR(128) DEFAULT '' NOT NULL, ha1b VARCHAR(128) DEFAULT '' NOT NULL,"
    " CONSTRAINT account_idx UNIQUE (username, domain))",
    "INSERT OR IGNORE INTO version (table_name, table_version) VALUES ('subscriber', 7)",
]


def ha1(user: str, realm: str, password: str) -> str:
    return hashlib.md5(f"{user}:{realm}:{password}".encode()).hexdigest()


def accounts(config: Config) -> list[tuple[str, str]]:
    """Who may register to the box: extensions, and the adapters of analog lines."""
    return [(e.number, e.password) for e in config.extensions] + [
        (t.username, t.password) for t in config.trunks if t.kind == "fxo"
    ]


def write_subscribers(db_path: Path, config: Config) -> None:
    """Replaces every subscriber in one transaction: Kamailio never sees half a change."""
    realm = config.system.sip_domain
    conn = sqlite3.connect(db_path, timeout=5.0, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        for statement in _SCHEMA:
            conn.execute(statement)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DELETE FROM subscriber")
        conn.executemany(
            "INSERT INTO subscriber (username, domain, ha1, ha1b) VALUES (?, ?, ?, ?)",
            [
                (user, realm, ha1(user, realm, password), ha1(f"{user}@{realm}", realm, password))
                for user, password in accounts(config)
            ],
        )
        conn.execute("COMMIT")
    finally:
        conn.close()
    db_path.chmod(0o600)
