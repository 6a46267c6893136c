"""Each pass of the engine loop commits its writes once: one sync per turn, not per field."""

from __future__ import annotations

from pathlib import Path

import pytest

from firmware.engine.loop import EngineLoop
from firmware.store.db import connect, transaction


@pytest.fixture
def store(tmp_path: Path):
    conn = connect(tmp_path / "store.db")
    conn.execute("CREATE TABLE events (what TEXT)")
    return conn


def traced(conn) -> list[str]:
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    return statements


def write(conn, what: str) -> None:
    conn.execute("INSERT INTO events VALUES (?)", (what,))


def test_a_loop_turn_commits_what_its_events_wrote_together(store, tmp_path: Path) -> None:
    loop = EngineLoop(lambda _ms: write(store, "pumped"), turn=lambda: transaction(store))
    loop.post(lambda: write(store, "posted"))
    loop.call_later(0, lambda: write(store, "timer"))
    statements = traced(store)

    loop.run_once()

    assert [s for s in statements if s in ("BEGIN", "COMMIT")] == ["BEGIN", "COMMIT"]
    reader = connect(tmp_path / "store.db")
    rows = [r[0] for r in reader.execute("SELECT what FROM events")]
    assert rows == ["pumped", "posted", "timer"]


def test_a_failing_event_keeps_what_the_others_wrote(store, tmp_path: Path) -> None:
    loop = EngineLoop(lambda _ms: None, turn=lambda: transaction(store))

    def broken() -> None:
        write(store, "before the error")
        raise RuntimeError("a defect in one call flow")

    loop.post(broken)
    loop.call_later(0, lambda: write(store, "another call"))
    loop.run_once()

    reader = connect(tmp_path / "store.db")
    rows = [r[0] for r in reader.execute("SELECT what FROM events")]
    assert rows == ["before the error", "another call"]
    assert not store.in_transaction


def test_a_nested_transaction_joins_the_outer_one(store) -> None:
    statements = traced(store)
    with transaction(store):
        write(store, "outer")
        with transaction(store):
            write(store, "inner")
        assert store.in_transaction
    assert statements.count("COMMIT") == 1
    assert store.execute("SELECT count(*) FROM events").fetchone()[0] == 2
