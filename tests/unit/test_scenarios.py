"""Inbound scenarios: which one a call follows, greetings, menu digits, targets, the walk."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware.config import parse_config
from firmware.config.inbound import Menu, Step
from firmware.config.target import Kind, Target
from firmware.routing.modes import ModeOverride
from firmware.routing.scenarios import (
    InboundPlan,
    Invalid,
    Wait,
    greeting_prompt,
    inbound_plan,
    menu_choice,
    next_step,
    resolve,
    time_of_day_prompt,
)
from tests.unit.offices import CITY_TRUNK, IVAN, OLGA

MSK = ZoneInfo("Europe/Moscow")

OFFICE = (
    """\
[system]
sip_domain = "pbx.local"
region = "RU"
area_code = "495"

[modes]
force_keys = { "1" = "day", "3" = "night", "9" = "storm" }

[[extensions]]
number = "100"
name = "Reception"
role = "admin"
password = "Reception-Secret-1"

"""
    + IVAN
    + """
"""
    + OLGA
    + """
"""
    + CITY_TRUNK
    + """
[[numbers]]
number = "+7 495 111-00-00"
trunk = "city"
scenarios = { day = "main", lunch = "main", night = "closed" }

[[numbers]]
number = "8 (495) 111-00-01"
trunk = "city"
destination = "101"

[[numbers]]
number = "111-00-02"
trunk = "city"
scenario = "main"

[[departments]]
number = "600"
name = "Sales"
members = ["101", "102"]

[[menus]]
name = "main"
keys = { "1" = "department:600", "2" = "extension:100", "*" = "menu:main" }

[[scenarios]]
name = "main"
steps = [
  { kind = "greeting" },
  { kind = "menu", menu = "main" },
  { kind = "run", scenario = "closed" },
]

[[scenarios]]
name = "closed"
steps = [{ kind = "voicemail", mailbox = "600" }, { kind = "hangup" }]
"""
)
CONFIG = parse_config(OFFICE)


def msk(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MSK)


@pytest.mark.parametrize(
    ("did", "when", "mode", "destination", "scenario"),
    [
        ("+74951110000", "2026-12-01T10:00", "day", None, "main"),
        ("+74951110000", "2026-12-01T13:30", "lunch", None, "main"),
        ("+74951110000", "2026-12-01T19:00", "night", None, "closed"),
        ("+74951110001", "2026-12-01T19:00", "night", "101", None),
        ("+74951110002", "2026-12-05T12:00", "night", None, "main"),  # one scenario at all hours
    ],
)
def test_inbound_plan_by_number_and_mode(
    did: str, when: str, mode: str, destination: str | None, scenario: str | None
) -> None:
    plan = InboundPlan(did, mode, "scheduled", destination, scenario)
    assert inbound_plan(CONFIG, did, msk(when)) == plan


def test_the_dialed_number_may_be_written_any_way_and_any_time_zone() -> None:
    at_10_msk = datetime(2026, 12, 1, 7, tzinfo=UTC)
    for did in ("74951110000", "+7 (495) 111-00-00", "84951110000", "1110000"):
        plan = inbound_plan(CONFIG, did, at_10_msk)
        assert plan is not None and (plan.number, plan.mode) == ("+74951110000", "day")
    naive = inbound_plan(CONFIG, "+74951110000", datetime(2026, 12, 1, 19))
    assert naive is not None and naive.mode == "night"  # a naive time is the box's own


@pytest.mark.parametrize("did", ["+74951119999", "+79161234567", "not a number", ""])
def test_numbers_the_box_does_not_own(did: str) -> None:
    assert inbound_plan(CONFIG, did, msk("2026-12-01T10:00")) is None


def test_a_forced_mode_decides_the_scenario() -> None:
    forced = ModeOverride("night", msk("2026-12-01T13:00"), "100")
    plan = inbound_plan(CONFIG, "+74951110000", msk("2026-12-01T10:00"), forced)
    assert plan == InboundPlan("+74951110000", "night", "forced by 100 until 13:00", None, "closed")


def test_a_mode_the_number_has_no_scenario_for_falls_back_to_the_default_modes() -> None:
    storm = ModeOverride("storm", None)
    plan = inbound_plan(CONFIG, "+74951110000", msk("2026-12-01T10:00"), storm)
    assert plan is not None and (plan.mode, plan.scenario) == ("storm", "closed")
    assert plan.why == "forced until released; the number has no storm scenario, so closed"


@pytest.mark.parametrize(
    ("clock", "prompt"),
    [
        (time(0), "good_evening"),
        (time(4, 59), "good_evening"),
        (time(5), "good_morning"),
        (time(10, 59, 59), "good_morning"),
        (time(11), "good_day"),
        (time(16, 59), "good_day"),
        (time(17), "good_evening"),
        (time(23, 59), "good_evening"),
    ],
)
def test_time_of_day_prompt(clock: time, prompt: str) -> None:
    assert time_of_day_prompt(clock) == prompt


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [(None, "good_day"), ("time_of_day", "good_day"), ("welcome", "welcome")],
)
def test_greeting_prompt(prompt: str | None, expected: str) -> None:
    step = Step(kind="greeting", prompt=prompt)
    assert greeting_prompt(step, time(12)) == expected
    assert greeting_prompt(step, msk("2026-12-01T12:00")) == expected


MENU = CONFIG.menus[0]
NO_DIRECT = Menu(name="plain", keys=MENU.keys, direct_dial=False)


@pytest.mark.parametrize(
    ("menu", "digits", "complete", "choice"),
    [
        (MENU, "", False, Wait()),  # no input at all is the menu's timeout, not a choice
        (MENU, "1", False, Wait()),  # 100, 101, 102 start with 1
        (MENU, "1", True, Target.parse("department:600")),
        (MENU, "2", False, Target.parse("extension:100")),  # no number starts with 2: at once
        (MENU, "*", False, Target.parse("menu:main")),
        (MENU, "10", False, Wait()),
        (MENU, "10", True, Invalid("10")),
        (MENU, "101", False, Target.parse("extension:101")),
        (MENU, "6", False, Wait()),
        (MENU, "6", True, Invalid("6")),
        (MENU, "600", False, Target.parse("department:600")),
        (MENU, "7", False, Invalid("7")),
        (MENU, "1011", False, Invalid("1011")),
        (NO_DIRECT, "1", False, Target.parse("department:600")),
        (NO_DIRECT, "101", False, Invalid("101")),
        (NO_DIRECT, "6", True, Invalid("6")),
    ],
)
def test_menu_choice(menu: Menu, digits: str, complete: bool, choice: object) -> None:
    assert menu_choice(CONFIG, menu, digits, complete=complete) == choice


@given(st.text("0123456789*#", min_size=1, max_size=6), st.text("0123456789*#", max_size=3))
def test_menu_digits_once_invalid_stay_invalid(digits: str, more: str) -> None:
    first = menu_choice(CONFIG, MENU, digits, complete=False)
    if isinstance(first, Invalid):
        assert isinstance(menu_choice(CONFIG, MENU, digits + more, complete=False), Invalid)
    assert not isinstance(menu_choice(CONFIG, MENU, digits, complete=True), Wait)


@pytest.mark.parametrize(
    ("target", "kind", "value", "exists"),
    [
        ("extension:101", "extension", "101", True),
        ("extension:600", "extension", "600", False),
        ("department:600", "department", "600", True),
        ("voicemail:600", "voicemail", "600", True),
        ("voicemail:102", "voicemail", "102", True),
        ("voicemail:555", "voicemail", "555", False),
        ("menu:main", "menu", "main", True),
        ("menu:night", "menu", "night", False),
        ("scenario:closed", "scenario", "closed", True),
        ("hangup", "hangup", "", True),
        ("icm", "icm", "", True),
    ],
)
def test_resolve(target: str, kind: str, value: str, exists: bool) -> None:
    parsed = Target.parse(target)
    assert (parsed.kind, parsed.value, str(parsed)) == (kind, value, target)
    assert resolve(CONFIG, parsed).exists is exists


def test_resolve_gives_what_the_target_names() -> None:
    assert resolve(CONFIG, Target.parse("department:600")).found == CONFIG.department("600")
    assert resolve(CONFIG, Target.parse("voicemail:101")).found == CONFIG.extension("101")


@pytest.mark.parametrize(
    "text", ["extension", "extension:1", "department:abc", "menu:Main", "hangup:now", "queue:600"]
)
def test_a_malformed_target_names_the_forms_there_are(text: str) -> None:
    with pytest.raises(ValueError, match="is no target: extension:N, department:N"):
        Target.parse(text)


def test_a_target_reads_from_and_dumps_to_its_text() -> None:
    menu = CONFIG.menus[0]
    assert menu.keys["1"] == Target(Kind.DEPARTMENT, "600")
    assert menu.model_dump()["keys"]["1"] == "department:600"


def test_walking_a_scenario_step_by_step() -> None:
    walked = []
    where = next_step(CONFIG, "main", -1)
    while where is not None:
        walked.append((where[0], where[1], where[2].kind))
        where = next_step(CONFIG, where[0], where[1])
    assert walked == [("main", 0, "greeting"), ("main", 1, "menu"), ("main", 2, "run")]
    assert next_step(CONFIG, "gone", -1) is None  # removed by a reload while a call was in it
    assert next_step(CONFIG, "closed", 5) is None
