"""Operating modes: the schedule, holidays, the next change, and forcing by feature code."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware.config import parse_config
from firmware.config.inbound import Modes, Period
from firmware.routing.modes import (
    ForceMode,
    ModeOverride,
    ReleaseMode,
    effective_mode,
    feature_code,
    force,
    may_force,
    mode_at,
    next_change,
)

MSK = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")
MODES = Modes(holidays=[date(2026, 12, 31)])  # day 9-18 mon-fri, lunch 13-14, night otherwise


def at(text: str, zone: ZoneInfo = MSK) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


@pytest.mark.parametrize(
    ("when", "mode"),
    [
        ("2026-12-01T08:59:59", "night"),  # a Tuesday
        ("2026-12-01T09:00", "day"),
        ("2026-12-01T12:59", "day"),
        ("2026-12-01T13:00", "lunch"),  # the later period wins inside the earlier one
        ("2026-12-01T13:59:59", "lunch"),
        ("2026-12-01T14:00", "day"),
        ("2026-12-01T17:59", "day"),
        ("2026-12-01T18:00", "night"),
        ("2026-12-05T10:00", "night"),  # Saturday
        ("2026-12-31T10:00", "night"),  # holiday on a Thursday
    ],
)
def test_default_schedule(when: str, mode: str) -> None:
    assert mode_at(MODES, at(when)) == mode


def test_order_decides_overlaps_and_24_00_ends_the_day() -> None:
    modes = Modes(
        schedule=[
            Period(mode="lunch", days="mon-fri", start="13:00", end="14:00"),
            Period(mode="day", days="mon-fri", start="09:00", end="24:00"),
            Period(mode="weekend", days="sat-mon", start="00:00", end="09:00"),
        ],
    )
    assert mode_at(modes, at("2026-12-01T13:30")) == "day"
    assert mode_at(modes, at("2026-12-01T23:59:59")) == "day"
    assert mode_at(modes, at("2026-12-07T08:00")) == "weekend"  # sat-mon includes Monday
    assert mode_at(modes, at("2026-12-08T08:00")) == "night"


def test_holiday_mode_holds_all_day() -> None:
    modes = Modes(holidays=[date(2026, 12, 31)], holiday_mode="holiday")
    for clock in ("00:00", "09:30", "13:30", "23:59"):
        assert mode_at(modes, at(f"2026-12-31T{clock}")) == "holiday"


@pytest.mark.parametrize(
    ("when", "change"),
    [
        ("2026-12-01T08:00", "2026-12-01T09:00"),
        ("2026-12-01T09:00", "2026-12-01T13:00"),
        ("2026-12-01T13:30", "2026-12-01T14:00"),
        ("2026-12-04T18:30", "2026-12-07T09:00"),  # Friday night -> Monday morning
        ("2026-12-30T17:00", "2026-12-30T18:00"),
        ("2026-12-30T18:30", "2027-01-01T09:00"),  # the holiday is night too: no change
    ],
)
def test_next_change(when: str, change: str) -> None:
    assert next_change(MODES, at(when)) == at(change)


def test_a_holiday_in_its_own_mode_changes_at_midnight() -> None:
    modes = Modes(holidays=[date(2026, 12, 31)], holiday_mode="holiday")
    assert next_change(modes, at("2026-12-30T20:00")) == at("2026-12-31T00:00")
    assert next_change(modes, at("2026-12-31T05:00")) == at("2027-01-01T00:00")


def test_a_schedule_that_never_changes_has_no_next_change() -> None:
    assert next_change(Modes(schedule=[]), at("2026-12-01T10:00")) is None


def test_next_change_keeps_the_wall_clock_across_summer_time() -> None:
    change = next_change(MODES, at("2026-03-27T18:30", BERLIN))  # Friday before the switch
    assert change == at("2026-03-30T09:00", BERLIN)
    assert change is not None and change.utcoffset() == timedelta(hours=2)


@given(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2030, 1, 1)))
def test_mode_is_always_known_and_holds_until_the_next_change(naive: datetime) -> None:
    when = naive.replace(tzinfo=MSK)
    mode = mode_at(MODES, when)
    assert mode in MODES.names
    change = next_change(MODES, when)
    assert change is not None and when < change <= when + timedelta(days=8)
    assert mode_at(MODES, change) != mode
    for instant in (when + (change - when) / 2, change - timedelta(seconds=1)):
        assert mode_at(MODES, max(instant, when)) == mode


def test_forcing_lasts_until_the_next_scheduled_change() -> None:
    override = force(MODES, "night", at("2026-12-01T16:00"), by="100")
    assert override == ModeOverride("night", at("2026-12-01T18:00"), "100")
    assert effective_mode(MODES, at("2026-12-01T17:00"), override) == (
        "night",
        "forced by 100 until 18:00",
    )
    assert effective_mode(MODES, at("2026-12-01T18:00"), override) == ("night", "scheduled")
    assert effective_mode(MODES, at("2026-12-02T10:00"), override) == ("day", "scheduled")


@pytest.mark.parametrize(
    ("override", "when", "expected"),
    [
        (None, "2026-12-01T10:00", ("day", "scheduled")),
        (None, "2026-12-31T10:00", ("night", "holiday")),
        (ModeOverride("day", None), "2026-12-31T10:00", ("day", "forced until released")),
        (
            ModeOverride("day", at("2026-12-07T09:00"), "101"),
            "2026-12-05T10:00",
            ("day", "forced by 101 until Mon 07 Dec 09:00"),
        ),
        (
            ModeOverride("lunch", datetime(2026, 12, 1, 15, tzinfo=UTC)),
            "2026-12-01T10:00",
            ("lunch", "forced until 18:00"),  # shown on the box's clock
        ),
    ],
)
def test_effective_mode_says_why(
    override: ModeOverride | None, when: str, expected: tuple[str, str]
) -> None:
    assert effective_mode(MODES, at(when), override) == expected


@pytest.mark.parametrize(
    ("dialed", "meaning"),
    [
        ("*801", ForceMode("day", "1")),
        ("*802", ForceMode("lunch", "2")),
        ("*803", ForceMode("night", "3")),
        ("*800", ReleaseMode()),
        ("*809", None),
        ("*80", None),
        ("*8011", None),
        ("801", None),
        ("101", None),
    ],
)
def test_feature_code(dialed: str, meaning: ForceMode | ReleaseMode | None) -> None:
    assert feature_code(MODES, dialed) == meaning


def test_feature_code_and_keys_are_configurable() -> None:
    modes = Modes(feature_code="*5", force_keys={"#": "night", "1": "emergency"})
    assert feature_code(modes, "*5#") == ForceMode("night", "#")
    assert feature_code(modes, "*51") == ForceMode("emergency", "1")
    assert feature_code(modes, "*50") == ReleaseMode()
    assert feature_code(modes, "*801") is None


OFFICE = """\
[system]
sip_domain = "pbx.local"

[[extensions]]
number = "100"
name = "Reception"
role = "admin"
password = "Reception-Secret-1"

[[extensions]]
number = "101"
name = "Ivan"
password = "Ivan-Secret-xyz"
"""


@pytest.mark.parametrize(
    ("may", "allowed"),
    [([], {"100"}), (["101"], {"101"}), (["100", "101"], {"100", "101"})],
)
def test_who_may_force(may: list[str], allowed: set[str]) -> None:
    listed = f"[modes]\nmay_force = {may!r}\n".replace("'", '"')
    config = parse_config(OFFICE.replace("[[extensions]]", listed + "\n[[extensions]]", 1))
    assert {e for e in ("100", "101", "555") if may_force(config, e)} == allowed
