"""``minipbx explain``: what the box would do with a call, run as the installer runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from firmware.config import load_config
from firmware.explain_inbound import explain_call, override_at, render, running_override
from firmware.routing.modes import ModeOverride
from tests.unit.offices import CITY_TRUNK, OLGA

ROOT = Path(__file__).resolve().parents[2]

OFFICE = (
    """\
[system]
sip_domain = "pbx.local"
region = "RU"
area_code = "495"

[modes]
holidays = [2026-12-31]

[[extensions]]
number = "100"
name = "Reception"
role = "admin"
password = "Reception-Secret-1"

[[extensions]]
number = "101"
name = "Ivan"
password = "Ivan-Secret-xyz"
email = "ivan@example.com"

"""
    + OLGA
    + """
"""
    + CITY_TRUNK
    + """
[[numbers]]
number = "+7 495 111-00-00"
trunk = "city"
scenarios = { day = "main", lunch = "lunch", night = "closed" }

[[numbers]]
number = "+7 495 111-00-01"
trunk = "city"
destination = "101"

[[departments]]
number = "600"
name = "Sales"
strategy = "sequential"
members = ["101", "102"]
queue = { max_wait = 120, overflow = "voicemail:600" }

[[menus]]
name = "main"
keys = { "1" = "department:600", "0" = "extension:100" }
default = "extension:100"

[[scenarios]]
name = "main"
steps = [
  { kind = "greeting" },
  { kind = "menu", menu = "main" },
  { kind = "queue", department = "600" },
  { kind = "voicemail", mailbox = "600" },
]

[[scenarios]]
name = "lunch"
steps = [
  { kind = "greeting", prompt = "lunch_break" },
  { kind = "forward", number = "8 916 123-45-67", ring_timeout = 20 },
  { kind = "run", scenario = "closed" },
]

[[scenarios]]
name = "closed"
steps = [{ kind = "voicemail", mailbox = "101" }, { kind = "hangup" }]
"""
)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / "pbx.toml").write_text(OFFICE, encoding="utf-8")
    return tmp_path


def explain(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "firmware.cli", "--home", str(home), "explain", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


#: The clock the box reads, fixed: an explained time is before or after it by construction.
NOW = datetime.fromisoformat("2026-12-01T09:00:00+03:00")
MORNING = datetime.fromisoformat("2026-12-01T10:30:00+03:00")


def test_a_weekday_morning_call_in_words(home: Path) -> None:
    config = load_config(home / "pbx.toml")
    override, note = override_at(MORNING, now=NOW, status=lambda: None)
    answer = explain_call(
        config,
        "8 495 111-00-00",
        caller="8 916 123 45 67",
        at=MORNING,
        override=override,
        override_note=note,
    )
    assert render(answer).splitlines() == [
        "call to 8 495 111-00-00: +74951110000",
        "from 8 916 123 45 67: +79161234567 (mobile)",
        "at Tuesday 2026-12-01 10:30 (Europe/Moscow)",
        "number: numbers[0], trunk city",
        "mode: day (scheduled); no override assumed: the engine is not running",
        "the schedule next changes Tuesday 2026-12-01 13:00",
        "scenario: main",
        "  1. greeting: plays good_morning",
        "  2. menu main: plays menu_default, waits 5 s, direct dial of extensions and "
        "departments; nothing or 3 wrong keys: extension 100 (Reception), rings 30 s",
        "       1 -> department 600 (Sales): one member after another, 10 s each "
        "(101 Ivan, 102 Olga); with everyone free it rings 20 s",
        "       0 -> extension 100 (Reception), rings 30 s",
        "  3. queue for department 600 (Sales), the member idle longest answers: up to 10 "
        "callers, 120 s at most, then voicemail:600; position every 40 s, "
        "press 1 to be called back",
        "  4. voicemail box 600, mailed to ivan@example.com",
    ]


def test_lunch_follows_run_steps_as_json(home: Path) -> None:
    done = explain(home, "--to", "+74951110000", "--at", "2026-12-01T10:30:00+00:00", "--json")
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert (answer["at"], answer["mode"], answer["scenario"]) == (
        "2026-12-01T13:30+03:00",
        "lunch",
        "lunch",
    )
    greeting, forward, run = answer["steps"]
    assert greeting["prompt"] == "lunch_break"
    assert (forward["number"], forward["class"], forward["ring_timeout"]) == (
        "+79161234567",
        "mobile",
        20,
    )
    assert run["scenario"] == "closed"
    assert [s["kind"] for s in run["steps"]] == ["voicemail", "hangup"]
    assert run["steps"][0]["target"]["email"] == ["ivan@example.com"]


def test_a_holiday_and_a_number_that_rings_an_extension(home: Path) -> None:
    at_holiday = ["--at", "2026-12-31T11:00"]
    holiday = json.loads(explain(home, "--to", "4951110000", *at_holiday, "--json").stdout)
    assert (holiday["mode"], holiday["why"], holiday["scenario"]) == ("night", "holiday", "closed")
    direct = explain(home, "--to", "1110001", *at_holiday)
    assert "destination: extension 101 (Ivan), rings 30 s" in direct.stdout.splitlines()


def test_numbers_it_does_not_own_or_cannot_read(home: Path) -> None:
    other = explain(home, "--to", "+7 495 111-00-09")
    assert other.returncode == 0
    assert other.stdout.splitlines()[-1] == (
        "the box does not own this number: the call is refused (404)"
    )
    unreadable = explain(home, "--to", "12")
    assert unreadable.returncode == 1
    assert "'12' is too short" in unreadable.stderr
    bad_time = explain(home, "--to", "+74951110000", "--at", "tomorrow")
    assert bad_time.returncode == 2
    assert "--at" in bad_time.stderr


def test_a_past_time_takes_no_forced_mode_and_asks_no_engine() -> None:
    def engine_status() -> dict[str, Any]:
        raise AssertionError("a past time must not ask the running box")

    assert override_at(NOW, now=MORNING, status=engine_status) == (
        None,
        "a past time: a mode forced now is not applied",
    )
    forced = {"mode": {"override": {"mode": "night", "until": None}}}
    assert override_at(MORNING, now=NOW, status=lambda: forced) == (
        ModeOverride("night", None),
        "forced on the running box",
    )


SIX_PM = "2026-12-01T18:00:00+03:00"


@pytest.mark.parametrize(
    ("status", "override", "note"),
    [
        (None, None, "no override assumed: the engine is not running"),
        ({"calls": []}, None, "no override assumed: the engine does not report its mode"),
        (
            {"mode": {"mode": "night", "why": "forced by 100 until 18:00"}},
            None,
            "no override assumed: the running box is in night (forced by 100 until 18:00) "
            "and reports no override",
        ),
        ({"mode": {"override": None}}, None, "no mode is forced on the running box"),
        (
            {"mode": {"override": {"mode": "night", "until": SIX_PM, "by": "100"}}},
            ModeOverride("night", datetime.fromisoformat(SIX_PM), "100"),
            "forced on the running box",
        ),
        (
            {"mode": {"override": {"mode": "day", "until": None}}},
            ModeOverride("day", None),
            "forced on the running box",
        ),
    ],
)
def test_the_running_override_from_the_engines_status(
    status: dict | None, override: ModeOverride | None, note: str
) -> None:
    assert running_override(status) == (override, note)
