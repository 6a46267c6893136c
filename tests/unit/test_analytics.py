"""Scenario analytics: passes and steps written through the store API, then the report's figures.

The office below has two scenarios. ``day`` is a greeting and a menu (1: sales
600, 2: support queue 700, 3: the night scenario); ``night`` a greeting and
voicemail. Every figure of the report is worked out by hand from these passes.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from firmware import cli
from firmware.home import Home
from firmware.store import analytics
from firmware.store.cdr import CallRecords
from firmware.store.db import connect

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)  # 12:00 in Moscow
N1, N2 = "+74951110000", "+74951110001"
A, B, C, E = "+79161234567", "+79162222222", "+79163333333", "+79165550000"
REPO = Path(__file__).resolve().parents[2]

PBX_TOML = """\
[system]
sip_domain = "pbx.local"
region = "RU"
area_code = "495"

[[extensions]]
number = "101"
name = "Ivan"
password = "Ivan-Secret-xyz"
"""


@dataclass
class Pass:
    scenario: str
    number: str
    caller: str
    start: timedelta
    #: (kind, target, outcome, seconds spent in the step)
    steps: list[tuple[str, str | None, str, float]]
    outcome: analytics.PassOutcome
    termination: analytics.Termination | None
    answered_by: str | None = None
    talk: float = 0
    group: str | None = None
    call_type: analytics.CallType = "inbound"
    record: int | None = field(default=None, repr=False)


H, M, S = timedelta(hours=1), timedelta(minutes=1), timedelta(seconds=1)
GREETING = ("greeting", "welcome", "completed", 5.0)

PASSES = [
    # 1: sales answers after key 1
    Pass("day", N1, A, 0 * H, [GREETING, ("menu", "main", "chose:1", 5.0),
         ("dial", "department:600", "answered", 80.0)], "answered", "callee", "101", 60, "600"),
    # 2: support's queue, the caller asks for a callback
    Pass("day", N1, B, 10 * M, [GREETING, ("menu", "main", "chose:2", 5.0),
         ("queue", "700", "callback", 30.0)], "callback", "system", None, 0, "700"),
    # 3: A again within 24 h, on the other number: sales does not answer, a message is left
    Pass("day", N2, A, 1 * H, [GREETING, ("menu", "main", "chose:1", 5.0),
         ("dial", "department:600", "no_answer", 30.0), ("voicemail", "600", "completed", 30.0)],
         "voicemail", "caller", None, 0, "600"),
    # 4: anonymous, no key pressed, the scenario hangs up
    Pass("day", N1, "anonymous", 2 * H, [GREETING, ("menu", "main", "timeout", 10.0),
         ("hangup", None, "completed", 5.0)], "hangup", "system"),
    # 5: support's queue answers after key 2
    Pass("day", N2, C, 3 * H, [GREETING, ("menu", "main", "chose:2", 5.0),
         ("queue", "700", "answered", 140.0)], "answered", "caller", "103", 120, "700"),
    # 6: anonymous again (never "repeated"), hangs up during the greeting
    Pass("day", N1, "anonymous", 4 * H, [("greeting", "welcome", "hangup", 5.0)],
         "abandoned", "caller"),
    # 7: key 3 hands the call to the night scenario...
    Pass("day", N1, E, 5 * H, [GREETING, ("menu", "main", "chose:3", 5.0)], "transferred", None),
    # 8: ...where E leaves a message (another scenario: not repeated)
    Pass("night", N1, E, 5 * H + 10 * S, [GREETING, ("voicemail", "101", "completed", 40.0)],
         "voicemail", "caller"),
    # 9: E again 24 h and 1 s later: not repeated; nobody answers, no steps left
    Pass("night", N1, E, 29 * H + 11 * S, [GREETING, ("dial", "extension:101", "no_answer", 25.0)],
         "no_talk", "system"),
    # 10: an extension tries the night line; the forward to a mobile answers
    Pass("night", N1, "102", 6 * H, [GREETING, ("forward", "+79160001122", "answered", 45.0)],
         "forwarded", "callee", "+79160001122", 30, call_type="internal"),
]  # fmt: skip

DAY = {
    "scenario": "day",
    "total": 7,
    "by_option": {"1": 2, "2": 2, "3": 1},
    "with_transfer": 2,
    "handed_on": 0,
    "no_talk": 4,
    "completed": 4,
    "repeated": 1,
    "icm_rang": 0,
    "icm_answered": 0,
    "avg_talk_seconds": 90.0,
    "avg_call_seconds": 55.0,
}
NIGHT = {
    "scenario": "night",
    "total": 3,
    "by_option": {},
    "with_transfer": 0,
    "handed_on": 0,
    "no_talk": 2,
    "completed": 2,
    "repeated": 0,
    "icm_rang": 0,
    "icm_answered": 0,
    "avg_talk_seconds": 30.0,
    "avg_call_seconds": 41.7,
}


def figures(**values: Any) -> dict[str, Any]:
    """A report row: zero figures unless given."""
    row = {"total": 0, "by_option": {}, "with_transfer": 0, "handed_on": 0, "no_talk": 0}
    row["completed"] = 0
    row |= {"repeated": 0, "icm_rang": 0, "icm_answered": 0}
    return row | {"avg_talk_seconds": None, "avg_call_seconds": None} | values


def write(conn: sqlite3.Connection, p: Pass, record: int | None) -> int:
    at = T0 + p.start
    pass_id = analytics.open_pass(
        conn,
        scenario=p.scenario,
        number=p.number,
        caller=p.caller,
        mode="day" if p.scenario == "day" else "night",
        call_record=record,
        call_type=p.call_type,
        at=at,
    )
    for kind, target, outcome, seconds in p.steps:
        step = analytics.step(conn, pass_id, kind=kind, target=target, at=at)
        at += timedelta(seconds=seconds)
        analytics.close_step(conn, step, outcome, at=at)
    analytics.close_pass(
        conn,
        pass_id,
        outcome=p.outcome,
        termination=p.termination,
        answered_by=p.answered_by,
        talk_seconds=p.talk,
        group_name=p.group,
        at=at,
    )
    return pass_id


def write_office(conn: sqlite3.Connection) -> list[int]:
    """The passes above, each call with its call record (passes 7 and 8 share one)."""
    records = CallRecords(conn)
    ids = []
    for index, p in enumerate(PASSES):
        if index != 7:
            record = records.open(
                call_id=f"c{index}", caller=p.caller, callee=p.number, at=T0 + p.start
            )
        ids.append(write(conn, p, record))
    # a pass still in progress is not counted
    analytics.open_pass(conn, scenario="day", number=N1, caller=B, mode="day", at=T0 + 7 * H)
    return ids


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    return connect(tmp_path / "pbx.db")


@pytest.fixture
def office(conn: sqlite3.Connection) -> list[int]:
    return write_office(conn)


def test_report_per_scenario(conn: sqlite3.Connection, office: list[int]) -> None:
    assert analytics.scenario_report(conn) == [DAY, NIGHT]


def test_a_call_the_answerer_transferred_is_handed_on_in_the_pass_that_answered(
    conn: sqlite3.Connection, office: list[int]
) -> None:
    answered, missed = [
        conn.execute("SELECT call_record FROM scenario_passes WHERE id = ?", (i,)).fetchone()[0]
        for i in (office[0], office[2])
    ]
    CallRecords(conn).note(answered, transferred_to="102")  # sales' 101 hands it to 102
    CallRecords(conn).note(missed, transferred_to="102")  # nobody answered that pass
    [day, night] = analytics.scenario_report(conn)
    assert (day["handed_on"], night["handed_on"]) == (1, 0)


def test_report_by_operation(conn: sqlite3.Connection, office: list[int]) -> None:
    report = analytics.scenario_report(conn, by="operation")
    assert report == [
        {"scenario": "day", "operation": "abandoned"}
        | figures(total=1, no_talk=1, avg_call_seconds=5.0),
        {"scenario": "day", "operation": "answered"}
        | figures(
            total=2,
            by_option={"1": 1, "2": 1},
            with_transfer=2,
            completed=2,
            avg_talk_seconds=90.0,
            avg_call_seconds=120.0,
        ),
        {"scenario": "day", "operation": "callback"}
        | figures(total=1, by_option={"2": 1}, no_talk=1, completed=1, avg_call_seconds=40.0),
        {"scenario": "day", "operation": "hangup"}
        | figures(total=1, no_talk=1, avg_call_seconds=20.0),
        {"scenario": "day", "operation": "transferred"}
        | figures(total=1, by_option={"3": 1}, avg_call_seconds=10.0),
        {"scenario": "day", "operation": "voicemail"}
        | figures(
            total=1, by_option={"1": 1}, no_talk=1, completed=1, repeated=1, avg_call_seconds=70.0
        ),
        {"scenario": "night", "operation": "forwarded"}
        | figures(total=1, completed=1, avg_talk_seconds=30.0, avg_call_seconds=50.0),
        {"scenario": "night", "operation": "no_talk"}
        | figures(total=1, no_talk=1, avg_call_seconds=30.0),
        {"scenario": "night", "operation": "voicemail"}
        | figures(total=1, no_talk=1, completed=1, avg_call_seconds=45.0),
    ]


def test_report_by_number(conn: sqlite3.Connection, office: list[int]) -> None:
    assert analytics.scenario_report(conn, by="number") == [
        {"scenario": "day", "number": N1}
        | figures(
            total=5,
            by_option={"1": 1, "2": 1, "3": 1},
            with_transfer=1,
            no_talk=3,
            completed=2,
            avg_talk_seconds=60.0,
            avg_call_seconds=33.0,
        ),
        {"scenario": "day", "number": N2}
        | figures(
            total=2,
            by_option={"1": 1, "2": 1},
            with_transfer=1,
            no_talk=1,
            completed=2,
            repeated=1,
            avg_talk_seconds=120.0,
            avg_call_seconds=110.0,
        ),
        {"scenario": "night", "number": N1} | {k: v for k, v in NIGHT.items() if k != "scenario"},
    ]


def test_report_by_group_termination_and_call_type(
    conn: sqlite3.Connection, office: list[int]
) -> None:
    def split(by: str) -> list[tuple[str, Any, int]]:
        return [(r["scenario"], r[by], r["total"]) for r in analytics.scenario_report(conn, by=by)]

    assert split("group") == [
        ("day", "600", 2),
        ("day", "700", 2),
        ("day", None, 3),
        ("night", None, 3),
    ]
    assert split("termination") == [
        ("day", "callee", 1),
        ("day", "caller", 3),
        ("day", "system", 2),
        ("day", None, 1),
        ("night", "callee", 1),
        ("night", "caller", 1),
        ("night", "system", 1),
    ]
    assert split("call_type") == [
        ("day", "inbound", 7),
        ("night", "inbound", 2),
        ("night", "internal", 1),
    ]
    [_, sales_support, *_] = analytics.scenario_report(conn, by="group")
    assert sales_support == {"scenario": "day", "group": "700"} | figures(
        total=2,
        by_option={"2": 2},
        with_transfer=1,
        no_talk=1,
        completed=2,
        avg_talk_seconds=120.0,
        avg_call_seconds=95.0,
    )


def test_report_window_is_since_inclusive_until_exclusive(
    conn: sqlite3.Connection, office: list[int]
) -> None:
    report = analytics.scenario_report(conn, since=T0 + 1 * H, until=T0 + 6 * H)
    assert [(r["scenario"], r["total"]) for r in report] == [("day", 5), ("night", 1)]
    assert analytics.scenario_report(conn, until=T0) == []


def test_report_refuses_unknown_dimension_and_naive_times(conn: sqlite3.Connection) -> None:
    with pytest.raises(ValueError, match="by must be one of number, call_type"):
        analytics.scenario_report(conn, by="caller; DROP TABLE calls")
    with pytest.raises(ValueError, match="time zone"):
        analytics.scenario_report(conn, since=datetime(2026, 11, 28))


def test_steps_keep_their_order_and_how_they_were_left(
    conn: sqlite3.Connection, office: list[int]
) -> None:
    steps = conn.execute(
        "SELECT position, kind, target, outcome, entered_at, left_at FROM scenario_steps "
        "WHERE pass_id = ? ORDER BY position",
        (office[2],),
    ).fetchall()
    assert [tuple(s)[:4] for s in steps] == [
        (1, "greeting", "welcome", "completed"),
        (2, "menu", "main", "chose:1"),
        (3, "dial", "department:600", "no_answer"),
        (4, "voicemail", "600", "completed"),
    ]
    assert steps[0]["entered_at"] == "2026-11-28T10:00:00.000+00:00"
    assert steps[3]["left_at"] == "2026-11-28T10:01:10.000+00:00"
    first, second = (
        conn.execute("SELECT call_record FROM scenario_passes WHERE id = ?", (p,)).fetchone()[0]
        for p in office[6:8]
    )
    assert first == second is not None


def test_the_first_menu_choice_is_the_option_and_open_steps_close_with_the_pass(
    conn: sqlite3.Connection,
) -> None:
    pass_id = analytics.open_pass(conn, scenario="day", number=N1, caller=A, mode="day", at=T0)
    menu = analytics.step(conn, pass_id, kind="menu", target="main", at=T0)
    analytics.close_step(conn, menu, "chose:2", at=T0 + S)
    analytics.close_step(conn, menu, "invalid", at=T0 + 2 * S)  # a closed step stays as it was
    submenu = analytics.step(conn, pass_id, kind="menu", target="support", at=T0 + S)
    analytics.close_step(conn, submenu, "chose:5", at=T0 + 2 * S)
    queue = analytics.step(conn, pass_id, kind="queue", target="700", at=T0 + 2 * S)
    analytics.close_pass(conn, pass_id, outcome="abandoned", termination="caller", at=T0 + M)
    analytics.close_pass(conn, pass_id, outcome="answered", termination="callee", at=T0 + H)
    row = conn.execute("SELECT * FROM scenario_passes WHERE id = ?", (pass_id,)).fetchone()
    assert (row["option"], row["outcome"], row["ended_at"]) == (
        "2",
        "abandoned",
        "2026-11-28T09:01:00.000+00:00",
    )
    left = conn.execute(
        "SELECT id, outcome, left_at FROM scenario_steps WHERE pass_id = ?", (pass_id,)
    ).fetchall()
    assert [tuple(s) for s in left] == [
        (menu, "chose:2", "2026-11-28T09:00:01.000+00:00"),
        (submenu, "chose:5", "2026-11-28T09:00:02.000+00:00"),
        (queue, "hangup", "2026-11-28T09:01:00.000+00:00"),
    ]


def test_a_step_outcome_outside_the_vocabulary_is_refused(conn: sqlite3.Connection) -> None:
    pass_id = analytics.open_pass(conn, scenario="day", number=N1, caller=A, mode="day")
    step = analytics.step(conn, pass_id, kind="menu", target="main")
    analytics.close_step(conn, step, "chose:102")  # a number dialed directly in the menu
    for wrong in ("chose:1a", "finished"):
        other = analytics.step(conn, pass_id, kind="menu", target="main")
        with pytest.raises(sqlite3.IntegrityError):
            analytics.close_step(conn, other, wrong)


def test_repeated_means_same_caller_same_scenario_within_24_hours(
    conn: sqlite3.Connection,
) -> None:
    def repeated(scenario: str, caller: str, at: datetime) -> bool:
        pass_id = analytics.open_pass(
            conn, scenario=scenario, number=N1, caller=caller, mode=None, at=at
        )
        row = conn.execute("SELECT repeated FROM scenario_passes WHERE id = ?", (pass_id,))
        return bool(row.fetchone()[0])

    assert not repeated("day", A, T0)
    assert repeated("day", A, T0 + 24 * H)
    assert not repeated("night", A, T0 + 24 * H)
    assert not repeated("day", B, T0 + 24 * H)
    assert not repeated("day", A, T0 + 48 * H + S)
    assert not repeated("day", "anonymous", T0)
    assert not repeated("day", "anonymous", T0 + S)


def test_passes_left_open_by_a_killed_engine_close_at_its_last_heartbeat(
    conn: sqlite3.Connection,
) -> None:
    pass_id = analytics.open_pass(conn, scenario="day", number=N1, caller=A, mode="day", at=T0)
    analytics.step(conn, pass_id, kind="queue", target="700", at=T0 + S)
    CallRecords(conn).heartbeat(at=T0 + 10 * S)
    assert analytics.close_interrupted(conn, at=T0 + H) == 1
    row = conn.execute("SELECT * FROM scenario_passes WHERE id = ?", (pass_id,)).fetchone()
    assert (row["outcome"], row["termination"], row["ended_at"]) == (
        "hangup",
        "system",
        "2026-11-28T09:00:10.000+00:00",
    )
    step = conn.execute("SELECT outcome, left_at FROM scenario_steps").fetchone()
    assert tuple(step) == ("hangup", "2026-11-28T09:00:10.000+00:00")
    assert analytics.close_interrupted(conn) == 0


def make_home(tmp_path: Path) -> Home:
    home = Home(tmp_path / "home")
    home.root.mkdir()
    home.config.write_text(PBX_TOML)
    conn = connect(home.store)
    write_office(conn)
    conn.close()
    return home


def test_cli_report_json_in_the_box_time_zone(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    # Moscow time: 13:00 on the 28th is T0 + 1 h; 12:00 on the 29th is T0 + 24 h.
    done = subprocess.run(
        [sys.executable, "-m", "firmware.cli", "--home", str(home.root), "report", "scenarios"]
        + ["--json", "--since", "2026-11-28T13:00", "--until", "2026-11-29T12:00"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        {"scenario": "day"}
        | figures(
            total=5,
            by_option={"1": 1, "2": 1, "3": 1},
            with_transfer=1,
            no_talk=3,
            completed=2,
            repeated=1,
            avg_talk_seconds=120.0,
            avg_call_seconds=51.0,
        ),
        {"scenario": "night"}
        | figures(total=2, no_talk=1, completed=2, avg_talk_seconds=30.0, avg_call_seconds=47.5),
    ]


def test_cli_report_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = make_home(tmp_path)
    assert cli.main(["--home", str(home.root), "report", "scenarios", "--by", "group"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "scenario", "group", "total", "completed", "transfer", "handed", "on", "no", "talk",
        "repeated", "icm", "avg", "talk", "avg", "call", "options",
    ]  # fmt: skip
    assert lines[1].split() == [
        "day",
        "600",
        "2",
        "2",
        "1",
        "0",
        "1",
        "1",
        "0/0",
        "60.0s",
        "80.0s",
        "1:2",
    ]
    assert lines[4].split() == [
        "night", "-", "3", "2", "0", "0", "2", "0", "0/0", "30.0s", "41.7s", "-",
    ]  # fmt: skip


def test_cli_report_bad_time_and_empty_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = Home(tmp_path)
    assert cli.main(["--home", str(home.root), "report", "scenarios", "--since", "yesterday"]) == 2
    assert "--since/--until" in capsys.readouterr().err
    assert cli.main(["--home", str(home.root), "report", "scenarios"]) == 0
    assert capsys.readouterr().out == "no scenario passes in this period\n"
