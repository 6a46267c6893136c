"""In-call codes: what a party's digits ask for, and which park slot a call goes to."""

from __future__ import annotations

import pytest

from firmware.config import parse_config
from firmware.routing.incall import (
    AddParty,
    KeepKeying,
    ParkIn,
    TransferTo,
    free_slot,
    in_call_code,
    park_slot,
)
from tests.unit.test_config import GOOD

CONFIG = parse_config(GOOD)
WIDE = parse_config(GOOD + "\n[park]\nslots = 12\n")


@pytest.mark.parametrize(
    ("keyed", "complete", "code"),
    [
        ("*", False, KeepKeying()),
        ("*2", False, KeepKeying()),
        ("*2103", False, KeepKeying()),
        ("*2103#", False, TransferTo("103")),
        ("*2103", True, TransferTo("103")),
        ("*2#", False, None),
        ("*3", False, KeepKeying()),
        ("*3103#", False, AddParty("103")),
        ("*7", False, KeepKeying()),
        ("*7#", False, ParkIn()),
        ("*7", True, ParkIn()),
        ("*73", False, ParkIn(3)),
        ("*70", False, None),
        ("5", False, None),
        ("*5", False, None),
    ],
)
def test_in_call_codes(keyed: str, complete: bool, code: object) -> None:
    assert in_call_code(CONFIG, keyed, complete=complete) == code


def test_a_slot_that_may_grow_waits_for_the_pause() -> None:
    assert in_call_code(WIDE, "*71", complete=False) == KeepKeying()  # *710 .. *712
    assert in_call_code(WIDE, "*71", complete=True) == ParkIn(1)
    assert in_call_code(WIDE, "*712", complete=False) == ParkIn(12)


def test_a_park_goes_to_the_slot_asked_for_or_the_lowest_free() -> None:
    assert free_slot(CONFIG, {1, 2}, None) == 3
    assert free_slot(CONFIG, {1, 2}, 5) == 5
    assert free_slot(CONFIG, {5}, 5) is None
    assert free_slot(CONFIG, set(range(1, 10)), None) is None


def test_the_slot_of_a_retrieval_code() -> None:
    assert park_slot(CONFIG, "*73") == 3
    assert park_slot(CONFIG, "*7") is None
    assert park_slot(CONFIG, "*710") is None  # only 9 slots
    assert park_slot(CONFIG, "*2103") is None
