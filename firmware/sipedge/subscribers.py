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
from firmware.store.db import make_private

#: Kamailio's own tables for digest auth, as its auth_db module expects them.
AUTH_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS version ("
    " id INTEGER PRIMARY KEY, table_name VARCHAR(32) NOT NULL UNIQUE,"
    " table_version INTEGER DEFAULT 0 NOT NULL)",
    "CREATE TABLE IF NOT EXISTS subscriber ("
    " id INTEGER PRIMARY KEY, username VARCHAR(64) DEFAULT '' NOT NULL,"
    " domain VARCHAR(64) DEFAULT '' NOT NULL, password VARCHAR(64) DEFAULT '' NOT NULL,"
    " ha1 VARCHAR(128) DEFAULT '' NOT NULL, ha1b VARCHAR(128) DEFAULT '' NOT NULL,"
    " handover INTEGER DEFAULT 0 NOT NULL,"
    " CONSTRAINT account_idx UNIQUE (username, domain))",
    "INSERT OR IGNORE INTO version (table_name, table_version) VALUES ('subscriber', 7)",
]
_SCHEMA = [
    *AUTH_SCHEMA,
    # Kamailio's usrloc writes registrations through to this table (db_mode 1), so the
    # engine can tell a registered phone from one that is switched off.
    "CREATE TABLE IF NOT EXISTS location ("
    " id INTEGER PRIMARY KEY NOT NULL, ruid VARCHAR(64) DEFAULT '' NOT NULL,"
    " username VARCHAR(64) DEFAULT '' NOT NULL, domain VARCHAR(64) DEFAULT NULL,"
    " contact VARCHAR(512) DEFAULT '' NOT NULL, received VARCHAR(128) DEFAULT NULL,"
    " path VARCHAR(512) DEFAULT NULL,"
    " expires TIMESTAMP WITHOUT TIME ZONE DEFAULT '2030-05-28 21:32:15' NOT NULL,"
    " q FLOAT(10,2) DEFAULT 1.0 NOT NULL,"
    " callid VARCHAR(255) DEFAULT 'Default-Call-ID' NOT NULL, cseq INTEGER DEFAULT 1 NOT NULL,"
    " last_modified TIMESTAMP WITHOUT TIME ZONE DEFAULT '2000-01-01 00:00:01' NOT NULL,"
    " flags INTEGER DEFAULT 0 NOT NULL, cflags INTEGER DEFAULT 0 NOT NULL,"
    " user_agent VARCHAR(255) DEFAULT '' NOT NULL, socket VARCHAR(64) DEFAULT NULL,"
    " methods INTEGER DEFAULT NULL, instance VARCHAR(255) DEFAULT NULL,"
    " reg_id INTEGER DEFAULT 0 NOT NULL, server_id INTEGER DEFAULT 0 NOT NULL,"
    " connection_id INTEGER DEFAULT 0 NOT NULL, keepalive INTEGER DEFAULT 0 NOT NULL,"
    " partition INTEGER DEFAULT 0 NOT NULL, CONSTRAINT location_ruid_idx UNIQUE (ruid))",
    "INSERT OR IGNORE INTO version (table_name, table_version) VALUES ('location', 9)",
]


def ha1(user: str, realm: str, password: str) -> str:
    return hashlib.md5(f"{user}:{realm}:{password}".encode()).hexdigest()


def registered(db_path: Path) -> set[str]:
    """Users with a registration that has not expired.

    Kamailio's db_sqlite stores times as Julian day numbers of UTC time.
    """
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1.0)
    except sqlite3.Error:
        return set()
    try:
        rows = conn.execute(
            "SELECT DISTINCT username FROM location WHERE expires > julianday('now')"
        ).fetchall()
    except sqlite3.Error:
        return set()
    finally:
        conn.close()
    return {row[0] for row in rows}


def accounts(config: Config) -> list[tuple[str, str]]:
    """Who may register to the box: extensions, and the adapters of analog lines."""
    return [(e.number, e.password) for e in config.extensions] + [
        (t.username, t.password) for t in config.trunks if t.kind == "fxo"
    ]


def write_subscribers(db_path: Path, config: Config) -> None:
    """Replaces every subscriber in one transaction: Kamailio never sees half a change."""
    realm = config.system.sip_domain
    make_private(db_path)
    conn = sqlite3.connect(db_path, timeout=5.0, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        for statement in _SCHEMA:
            conn.execute(statement)
        columns = {row[1] for row in conn.execute("PRAGMA table_info(subscriber)")}
        if "handover" not in columns:  # a store made before DECT handsets were told apart
            conn.execute("ALTER TABLE subscriber ADD COLUMN handover INTEGER DEFAULT 0 NOT NULL")
        handsets = {e.number for e in config.extensions if e.device.startswith("dect:")}
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DELETE FROM subscriber")
        conn.executemany(
            "INSERT INTO subscriber (username, domain, ha1, ha1b, handover) VALUES (?, ?, ?, ?, ?)",
            [
                (
                    user,
                    realm,
                    ha1(user, realm, password),
                    ha1(f"{user}@{realm}", realm, password),
                    int(user in handsets),
                )
                for user, password in accounts(config)
            ],
        )
        conn.execute("COMMIT")
    finally:
        conn.close()
