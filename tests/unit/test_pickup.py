"""Which ringing phone a pickup code answers."""

from __future__ import annotations

import pytest

from firmware.config import ConfigError, parse_config
from firmware.routing.pickup import PickupCode, Ringing, choose, groups, pickup_code
from tests.unit.offices import IVAN, OLGA, RECEPTION

OFFICE = (
    '[system]\nsip_domain = "pbx.local"\n\n'
    + RECEPTION
    + IVAN
    + OLGA
    + """
[[extensions]]
number = "103"
name = "Sergey"
password = "Sergey-Secret-xyz"
pickup_groups = ["warehouse"]

[[extensions]]
number = "104"
name = "Anna"
password = "Anna-Secret-xyz1"
pickup_groups = ["warehouse"]

[[departments]]
number = "600"
name = "Sales"
members = ["101", "102"]
"""
)
CONFIG = parse_config(OFFICE)


def test_the_codes_are_read_from_dialing() -> None:
    assert pickup_code(CONFIG, "*8") == PickupCode()
    assert pickup_code(CONFIG, "**102") == PickupCode("102")
    assert pickup_code(CONFIG, "**") is None
    assert pickup_code(CONFIG, "102") is None


def test_a_department_is_the_pickup_group_of_members_who_name_none() -> None:
    assert groups(CONFIG, "101") == groups(CONFIG, "102") == {"dept:600"}
    assert groups(CONFIG, "103") == {"warehouse"}
    assert groups(CONFIG, "100") == frozenset()


RINGING = [
    Ringing(7, "101", "100"),
    Ringing(5, "103", "100"),
    Ringing(9, "102", "+74951234567"),
]


@pytest.mark.parametrize(
    ("picker", "code", "picked"),
    [
        ("102", PickupCode(), 7),  # Ivan's phone, Olga's department
        ("101", PickupCode(), 9),  # Olga's
        ("104", PickupCode(), 5),  # Sergey's, the warehouse
        ("100", PickupCode(), None),  # reception is in no group
        ("100", PickupCode("102"), 9),  # but picks any phone by its number
        ("104", PickupCode("105"), None),
        ("103", PickupCode("103"), None),  # not one's own
    ],
)
def test_pickup_chooses(picker: str, code: PickupCode, picked: int | None) -> None:
    found = choose(CONFIG, picker, code, RINGING)
    assert (found.call if found else None) == picked


def test_the_call_that_came_first_is_picked_up_first() -> None:
    both = [Ringing(12, "101", "+74950000001"), Ringing(11, "101", "+74950000002")]
    found = choose(CONFIG, "102", PickupCode(), both)
    assert found is not None and found.call == 11


def test_nobody_picks_up_the_call_they_placed() -> None:
    assert choose(CONFIG, "102", PickupCode("101"), [Ringing(3, "101", "102")]) is None


def test_codes_that_begin_alike_are_refused() -> None:
    with pytest.raises(ConfigError, match="pickup and directed_pickup must not begin alike"):
        parse_config(OFFICE + '\n[dialing]\npickup = "*8"\ndirected_pickup = "*8"\n')
