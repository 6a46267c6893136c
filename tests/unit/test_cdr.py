"""Call records in a real SQLite file: opened at arrival, closed at the end, never lost."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from firmware.routing.outcome import Disposition, Party
from firmware.store.cdr import CallEnd, CallRecords
from firmware.store.db import MIGRATIONS, connect

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


@pytest.fixture
def records(tmp_path: Path) -> CallRecords:
    return CallRecords(connect(tmp_path / "pbx.db"))


def test_answered_call_has_talk_time_and_who_hung_up(records: CallRecords) -> None:
    rid = records.open(call_id="c1", caller="101", callee="102", at=T0)
    records.answered(rid, "102", at=T0 + timedelta(seconds=5))
    records.close(rid, CallEnd(Disposition.ANSWERED, Party.CALLEE, 200), at=T0 + timedelta(65))
    [row] = records.recent()
    assert row["talk_seconds"] == 60 * 60 * 24 * 65 - 5
    assert (row["disposition"], row["hangup_by"], row["caller"], row["callee"]) == (
        "answered",
        "callee",
        "101",
        "102",
    )
    assert row["started_at"] == "2026-11-28T09:00:00.000+00:00"
    assert row["answered_by"] == "102"


def test_unanswered_call_has_zero_talk(records: CallRecords) -> None:
    rid = records.open(call_id="c1", caller="101", callee="102", at=T0)
    records.close(rid, CallEnd(Disposition.BUSY, Party.CALLEE, 486, "callee busy"), at=T0)
    [row] = records.recent()
    assert (row["talk_seconds"], row["answered_at"], row["sip_status"]) == (0, None, 486)


def test_a_closed_record_is_never_rewritten(records: CallRecords) -> None:
    rid = records.open(call_id="c1", caller="101", callee="102", at=T0)
    records.close(rid, CallEnd(Disposition.CANCELLED, Party.CALLER), at=T0)
    records.close(rid, CallEnd(Disposition.ANSWERED, Party.CALLEE), at=T0)
    assert records.recent()[0]["disposition"] == "cancelled"


def test_open_calls_close_as_interrupted_at_the_last_heartbeat(records: CallRecords) -> None:
    talking = records.open(call_id="c1", caller="101", callee="102", at=T0)
    records.answered(talking, "102", at=T0 + timedelta(seconds=2))
    records.open(call_id="c2", caller="103", callee="100", at=T0 + timedelta(seconds=3))
    records.heartbeat(at=T0 + timedelta(seconds=12))
    assert records.close_interrupted(at=T0 + timedelta(hours=3)) == 2
    rows = {r["call_id"]: r for r in records.recent()}
    assert rows["c1"]["disposition"] == "interrupted"
    assert rows["c1"]["ended_at"] == "2026-11-28T09:00:12.000+00:00"
    assert rows["c1"]["talk_seconds"] == 10
    assert rows["c2"]["talk_seconds"] == 0
    assert records.close_interrupted() == 0


def test_store_is_wal_and_migrated(tmp_path: Path) -> None:
    connect(tmp_path / "pbx.db").close()
    raw = sqlite3.connect(tmp_path / "pbx.db")
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert raw.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_a_newer_store_is_refused_not_damaged(tmp_path: Path) -> None:
    raw = sqlite3.connect(tmp_path / "pbx.db")
    raw.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    raw.close()
    with pytest.raises(RuntimeError, match="newer than this firmware"):
        connect(tmp_path / "pbx.db")


def test_the_last_extension_that_talked_with_a_number_in_or_out(records: CallRecords) -> None:
    customer, office = "+74951234567", "+74951110000"
    calls = [  # caller, callee, direction, who answered, talk seconds, day
        (customer, office, "inbound", "101", 60, 0),
        ("102", customer, "outbound", customer, 30, 1),
        (customer, office, "inbound", None, 0, 2),  # rang, nobody talked
        ("+74959999999", office, "inbound", "100", 20, 2),
    ]
    for n, (caller, callee, direction, by, talk, day) in enumerate(calls):
        at = T0 + timedelta(days=day)
        rid = records.open(
            call_id=f"c{n}", caller=caller, callee=callee, at=at, direction=direction
        )
        if by:
            records.answered(rid, by, at=at)
        end = CallEnd(Disposition.ANSWERED if by else Disposition.NO_ANSWER, Party.CALLER)
        records.close(rid, end, at=at + timedelta(seconds=talk))
    assert records.last_talked(customer, since=T0 - timedelta(days=90)) == "102"
    assert records.last_talked(customer, since=T0 + timedelta(days=2)) is None
    assert records.last_talked("+74950000000", since=T0) is None
