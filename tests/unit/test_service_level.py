"""Service level per department over known queue waits, worked out by hand:

support (610, target 15 s): answered after 10 s and after exactly 15 s (within),
after 15.5 s (late), a caller who hung up after 30 s and one who asked for a
callback after 20 s (both count against), one refused by a full queue and one
still waiting (neither counted): 2 of 5 = 40 %. Sales (600, target 30 s):
answered after 20 s, 1 of 1. Reception (620) had no queued caller: no figure.
A queue not asked about (700) is left out.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from firmware.routing.queue import ServiceLevel
from firmware.store import analytics
from firmware.store.db import connect
from firmware.store.service_level import service_levels

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
S = timedelta(seconds=1)
TARGETS = {"610": 15.0, "600": 30.0, "620": 20.0}
#: (department, minutes after T0 the caller joined, seconds waited, outcome or None: waiting)
WAITS = [
    ("610", 0, 10.0, "answered"),
    ("610", 1, 15.0, "answered"),
    ("610", 2, 15.5, "answered"),
    ("610", 3, 30.0, "hangup"),
    ("610", 4, 20.0, "callback"),
    ("610", 5, 0.0, "full"),
    ("610", 6, 0.0, None),
    ("600", 7, 20.0, "answered"),
    ("700", 8, 5.0, "answered"),
]


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    conn = connect(tmp_path / "pbx.db")
    for department, minute, waited, outcome in WAITS:
        at = T0 + timedelta(minutes=minute)
        pass_id = analytics.open_pass(
            conn, scenario="day", number="+74951110000", caller="+79161234567", mode="day", at=at
        )
        step = analytics.step(conn, pass_id, kind="queue", target=department, at=at)
        if outcome is not None:
            analytics.close_step(conn, step, outcome, at=at + waited * S)
    return conn


def figures(found: dict[str, ServiceLevel]) -> dict[str, tuple[int, int, int, float | None]]:
    return {
        department: (level.offered, level.answered, level.answered_within, level.percent)
        for department, level in found.items()
    }


def test_the_share_answered_within_each_departments_target(conn: sqlite3.Connection) -> None:
    assert figures(service_levels(conn, TARGETS)) == {
        "610": (5, 3, 2, 40.0),
        "600": (1, 1, 1, 100.0),
        "620": (0, 0, 0, None),
    }


def test_only_waits_that_began_in_the_window_count(conn: sqlite3.Connection) -> None:
    since, until = T0 + timedelta(minutes=1), T0 + timedelta(minutes=3)
    found = figures(service_levels(conn, TARGETS, since=since, until=until))
    assert found["610"] == (2, 2, 1, 50.0)
    assert found["600"] == (0, 0, 0, None)
    with pytest.raises(ValueError, match="time zone"):
        service_levels(conn, TARGETS, since=datetime(2026, 11, 28))
