"""Doors in pbx.toml and routing: where a ring goes, which digits open, who may open by code."""

from __future__ import annotations

import pytest

from firmware.config import ConfigError, parse_config
from firmware.config.target import Target
from firmware.routing.door import (
    How,
    NotAnOpener,
    OpenDoor,
    direct_open,
    door_at,
    door_code_in_call,
    door_ring,
)
from firmware.routing.incall import KeepKeying
from tests.unit.test_config import GOOD

OFFICE = (
    GOOD
    + """
[[extensions]]
number = "190"
name = "Front door"
password = "Door-Secret-xyz"
device = "fxs:1"

[[extensions]]
number = "102"
name = "Olga"
password = "Olga-Secret-xyz"

[[scenarios]]
name = "night"
steps = [{ kind = "voicemail", mailbox = "101" }]

[[doors]]
name = "front"
station = "190"
ring = "extension:101"
scenarios = { night = "night" }
relay = "door1"
openers = ["101"]
direct_code = "*51"
"""
)


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as err:
        parse_config(text, "pbx.toml")
    return err.value.render().splitlines()


def test_a_door_call_rings_its_target_and_a_scenario_in_the_modes_naming_one() -> None:
    config = parse_config(OFFICE)
    door = door_at(config, "190")
    assert door is not None and door_at(config, "101") is None
    assert (door.open_code, door.open_seconds) == ("5", 5)
    assert door_ring(door, "day") == Target.parse("extension:101")
    assert door_ring(door, "night") == Target.parse("scenario:night")


@pytest.mark.parametrize(
    ("caller", "keyer", "keyed", "complete", "decision"),
    [
        ("190", "101", "5", False, OpenDoor("front", How.DURING_CALL)),
        ("190", "101", "5#", False, OpenDoor("front", How.DURING_CALL)),
        ("190", "190", "5", False, None),  # the door station cannot open itself
        ("101", "102", "5", False, None),  # not a door call
        ("190", "101", "4", False, None),
    ],
)
def test_the_open_code_opens_only_in_a_door_call_keyed_by_who_answered(
    caller: str, keyer: str, keyed: str, complete: bool, decision: object
) -> None:
    config = parse_config(OFFICE)
    found = door_code_in_call(config, caller=caller, keyer=keyer, keyed=keyed, complete=complete)
    assert found == decision


def test_a_longer_open_code_waits_for_its_digits() -> None:
    config = parse_config(OFFICE.replace('relay = "door1"', 'relay = "door1"\nopen_code = "55"'))
    kw = {"caller": "190", "keyer": "101"}
    assert door_code_in_call(config, **kw, keyed="5", complete=False) == KeepKeying()
    assert door_code_in_call(config, **kw, keyed="5", complete=True) is None
    assert door_code_in_call(config, **kw, keyed="55", complete=False) == OpenDoor(
        "front", How.DURING_CALL
    )


def test_only_an_opener_opens_by_the_direct_code() -> None:
    config = parse_config(OFFICE)
    assert direct_open(config, "101", "*51") == OpenDoor("front", How.DIRECT_CODE)
    assert direct_open(config, "102", "*51") == NotAnOpener("front")
    assert direct_open(config, "101", "*52") is None


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        ('relay = "door1"', 'relay = "door9"', "doors[0].relay: board sim has no relay 'door9'"),
        ('relay = "door1"', 'relay = "amp"', "doors[0].relay: amp powers a paging amplifier"),
        ('station = "190"', 'station = "191"', "doors[0].station: no extension 191"),
        ('ring = "extension:101"', 'ring = "menu:main"', "doors[0].ring: a door rings an"),
        ('ring = "extension:101"', 'ring = "department:600"', "doors[0].ring: no department 600"),
        ('openers = ["101"]', 'openers = ["109"]', "doors[0].openers[0]: no extension 109"),
        ('direct_code = "*51"', "", "doors[0].direct_code: openers need a direct_code"),
        ('open_code = "5"', 'open_code = "5"\nbell = true', "doors[0].bell: unknown key"),
    ],
)
def test_a_wrong_door_is_refused_at_its_key(old: str, new: str, why: str) -> None:
    text = OFFICE.replace('relay = "door1"', 'relay = "door1"\nopen_code = "5"')
    [problem] = problems(text.replace(old, new, 1))
    assert why in problem
