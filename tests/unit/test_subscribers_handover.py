"""Kamailio's subscriber table tells DECT handsets apart, also in a store made before."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from firmware.config.schema import Config
from firmware.sipedge.subscribers import write_subscribers

OLD_SUBSCRIBER = (
    "CREATE TABLE subscriber (id INTEGER PRIMARY KEY, username VARCHAR(64) DEFAULT '' NOT NULL,"
    " domain VARCHAR(64) DEFAULT '' NOT NULL, password VARCHAR(64) DEFAULT '' NOT NULL,"
    " ha1 VARCHAR(128) DEFAULT '' NOT NULL, ha1b VARCHAR(128) DEFAULT '' NOT NULL,"
    " CONSTRAINT account_idx UNIQUE (username, domain))"
)


def test_only_dect_handsets_get_the_handover_flag_even_in_an_old_table(tmp_path: Path) -> None:
    db = tmp_path / "sipedge.db"
    with sqlite3.connect(db) as conn:
        conn.execute(OLD_SUBSCRIBER)
    config = Config.model_validate(
        {
            "system": {"sip_domain": "pbx.test"},
            "extensions": [
                {"number": "101", "name": "Desk", "password": "Desk-Secret-xyz"},
                {
                    "number": "103",
                    "name": "Handset",
                    "password": "Dect-Secret-xyz",
                    "device": "dect:1",
                },
            ],
        }
    )
    write_subscribers(db, config)
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT username, handover FROM subscriber ORDER BY username")
        assert rows.fetchall() == [("101", 0), ("103", 1)]
