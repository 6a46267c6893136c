"""Inbound config cross-checks: every target names something, with the file line and key."""

from __future__ import annotations

import pytest

from firmware.config import ConfigError, parse_config
from tests.unit.offices import CITY_TRUNK, IVAN, RECEPTION

GOOD = (
    """\
[system]
sip_domain = "pbx.local"
area_code = "495"

"""
    + RECEPTION
    + """
"""
    + IVAN
    + """
"""
    + CITY_TRUNK
    + """
[[numbers]]
number = "+7 495 111-00-00"
trunk = "city"
scenarios = { day = "main", night = "night" }

[[numbers]]
number = "+7 495 111-00-01"
trunk = "city"
scenario = "night"

[[departments]]
number = "600"
name = "Sales"
members = ["100", "101"]
queue = { overflow = "voicemail:600" }

[[menus]]
name = "main"
keys = { "1" = "department:600", "2" = "extension:101", "9" = "scenario:night" }
default = "extension:100"

[[scenarios]]
name = "main"
steps = [
  { kind = "greeting" },
  { kind = "menu", menu = "main" },
  { kind = "queue", department = "600" },
  { kind = "forward", number = "8 916 123-45-67" },
  { kind = "run", scenario = "night" },
]

[[scenarios]]
name = "night"

[[scenarios.steps]]
kind = "voicemail"
mailbox = "101"

[[scenarios.steps]]
kind = "run"
scenario = "last"

[[scenarios]]
name = "last"
steps = [{ kind = "hangup" }]
"""
)

BAD = (
    """\
[system]
sip_domain = "pbx.local"
area_code = "495"

[modes]
may_force = ["100", "555"]
force_keys = { "1" = "day", "0" = "night" }

"""
    + RECEPTION
    + """
"""
    + IVAN
    + """
"""
    + CITY_TRUNK
    + """
[[numbers]]
number = "+7 495 111-00-00"
trunk = "city"
scenarios = { day = "main", evening = "main", night = "nowhere" }

[[numbers]]
number = "+7 495 111-00-01"
trunk = "city"
scenario = "gone"

[[departments]]
number = "600"
name = "Sales"
members = ["101", "107", "101"]
queue = { overflow = "menu:nope" }

[[departments]]
number = "600"
name = "Copy"
members = ["100"]

[[departments]]
number = "101"
name = "Clash"
members = ["100"]
queue = { enabled = false }

[[menus]]
name = "main"
keys = { "1" = "extension:600", "2" = "department:100" }
default = "voicemail:555"

[[menus]]
name = "main"

[[scenarios]]
name = "main"
steps = [
  { kind = "greeting" },
  { kind = "menu", menu = "night" },
  { kind = "queue", department = "101" },
  { kind = "forward", number = "8 916 12" },
  { kind = "forward", number = "100" },
  { kind = "run", scenario = "night" },
]

[[scenarios]]
name = "night"
steps = [
  { kind = "voicemail", mailbox = "700" },
  { kind = "dial", target = "extension:109" },
  { kind = "run", scenario = "main" },
]

[[scenarios]]
name = "main"
steps = [{ kind = "hangup" }]

[[scenarios]]
name = "self"
steps = [{ kind = "run", scenario = "self" }]
"""
)


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as err:
        parse_config(text, "pbx.toml")
    return err.value.render().splitlines()


def test_a_full_inbound_config_loads() -> None:
    config = parse_config(GOOD)
    assert [s.name for s in config.scenarios] == ["main", "night", "last"]
    assert config.numbers[1].destination is None  # a scenario number needs no extension


def test_every_broken_reference_is_reported_at_its_key() -> None:
    assert problems(BAD) == [
        "pbx.toml:43: departments[1].number: 600 is already departments[0]",
        "pbx.toml:59: menus[1].name: main is already menus[0]",
        "pbx.toml:81: scenarios[2].name: main is already scenarios[0]",
        "pbx.toml:39: departments[0].members[1]: no extension 107",
        "pbx.toml:39: departments[0].members[2]: 101 is listed twice",
        "pbx.toml:40: departments[0].queue.overflow: no menu named 'nope'",
        "pbx.toml:48: departments[2].number: 101 is an extension",
        "pbx.toml:6: modes.may_force[1]: no extension 555",
        "pbx.toml:7: modes.force_keys.0: 0 after the feature code returns to the schedule; "
        "force with another key",
        "pbx.toml:55: menus[0].keys.1: no extension 600 (600 is a department: department:600)",
        "pbx.toml:55: menus[0].keys.2: no department 100 (100 is an extension: extension:100)",
        "pbx.toml:56: menus[0].default: no mailbox 555: "
        "a mailbox is an extension or a department number",
        "pbx.toml:63: scenarios[0].steps[1].menu: no menu named 'night'",
        "pbx.toml:63: scenarios[0].steps[2].department: "
        "department 101's queue is off (queue.enabled = false)",
        "pbx.toml:63: scenarios[0].steps[3].number: '8 916 12' is too short to be a number in RU",
        "pbx.toml:63: scenarios[0].steps[4].number: 100 is an extension: ring it with a dial step",
        "pbx.toml:74: scenarios[1].steps[0].mailbox: no mailbox 700: "
        "a mailbox is an extension or a department number",
        "pbx.toml:74: scenarios[1].steps[1].target: no extension 109",
        "pbx.toml:29: numbers[0].scenarios.evening: no mode 'evening' (modes: night, day, lunch)",
        "pbx.toml:29: numbers[0].scenarios.night: no scenario named 'nowhere'",
        "pbx.toml:34: numbers[1].scenario: no scenario named 'gone'",
        "pbx.toml:74: scenarios[1].steps[2].scenario: run steps loop: main -> night -> main",
        "pbx.toml:86: scenarios[3].steps[0].scenario: run steps loop: self -> self",
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'scenario = "last"',
            'scenario = "night"',
            "pbx.toml:62: scenarios[1].steps[1].scenario: run steps loop: night -> night",
        ),
        (
            'mailbox = "101"',
            'mailbox = "102"',
            "pbx.toml:58: scenarios[1].steps[0].mailbox: no mailbox 102: "
            "a mailbox is an extension or a department number",
        ),
        (
            '"9" = "scenario:night"',
            '"9" = "scenario:day"',
            "pbx.toml:40: menus[0].keys.9: no scenario named 'day'",
        ),
        (
            'members = ["100", "101"]',
            'members = ["100", "101", "100"]',
            "pbx.toml:35: departments[0].members[2]: 100 is listed twice",
        ),
    ],
)
def test_each_mistake_points_at_its_own_line(old: str, new: str, expected: str) -> None:
    assert problems(GOOD.replace(old, new)) == [expected]


def test_modes_a_number_may_name_include_forced_ones() -> None:
    text = GOOD.replace('night = "night" }', 'night = "night", storm = "last" }')
    assert problems(text) == [
        "pbx.toml:25: numbers[0].scenarios.storm: no mode 'storm' (modes: night, day, lunch)"
    ]
    forced = text.replace(
        "[[extensions]]", '[modes]\nforce_keys = { "7" = "storm" }\n\n[[extensions]]', 1
    )
    assert parse_config(forced).numbers[0].scenarios == {
        "day": "main",
        "night": "night",
        "storm": "last",
    }
