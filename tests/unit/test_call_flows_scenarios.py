"""A scenario's own steps on fake legs: the greeting, a menu key, a menu timeout, the hangup."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from firmware.config import parse_config
from tests.support.inbound_office import InboundOffice
from tests.unit.offices import IVAN, OLGA, RECEPTION
from tests.unit.test_call_flows import hears

OFFICE = (
    '[system]\nsip_domain = "pbx.local"\nregion = "RU"\narea_code = "495"\n\n'
    + RECEPTION
    + IVAN
    + OLGA
    + """
[[departments]]
number = "600"
name = "Sales"
members = ["101", "102"]
queue = { enabled = false }

[[menus]]
name = "main"
keys = { "1" = "department:600", "2" = "extension:100" }
timeout = 5

[[scenarios]]
name = "main"
steps = [{ kind = "greeting" }, { kind = "menu", menu = "main" }, { kind = "hangup" }]
"""
)
CUSTOMER = "+79161234567"


@pytest.fixture
def inbound(tmp_path: Path) -> Iterator[InboundOffice]:
    office = InboundOffice(parse_config(OFFICE), tmp_path)
    yield office
    office.close()


def steps(inbound: InboundOffice) -> list[tuple[str, str | None]]:
    rows = inbound.office.store.execute("SELECT kind, outcome FROM scenario_steps ORDER BY id")
    return [(row["kind"], row["outcome"]) for row in rows]


def at_the_menu(inbound: InboundOffice) -> tuple:
    """The customer is greeted, then hears the menu's prompt to the end."""
    office = inbound.office
    call, customer, _ = inbound.arrives(CUSTOMER, "main")
    assert (call.state.name, customer.sent) == ("greeting", ["respond 200"])
    assert office.prompts.playing == []  # the caller's media settles first
    office.after(0.3)
    [(names, audio, _)] = office.prompts.playing
    assert (names, audio) == (["good_morning"], customer.audio)  # 10:00 in the office
    office.prompts.done()
    assert call.state.name == "menu"
    [(names, audio, _)] = office.prompts.playing
    assert (names, audio) == (["menu_default"], customer.audio)
    office.prompts.done()
    return call, customer


def test_a_menu_key_rings_its_extension_and_the_answer_connects(
    inbound: InboundOffice,
) -> None:
    call, customer = at_the_menu(inbound)
    customer.keys("2")
    [reception] = inbound.office.legs
    assert (call.state.name, reception.sent) == (
        "dialing",
        ["dial sip:100@pbx.local from <sip:+79161234567@pbx.local>"],
    )
    reception.answers()
    assert call.state.name == "talking"
    assert hears(customer, reception) and hears(reception, customer)
    assert inbound.office.record(call)["answered_by"] == "100"
    assert steps(inbound) == [("greeting", "completed"), ("menu", "chose:2")]


def test_a_key_that_begins_extensions_waits_for_more_then_rings_the_department(
    inbound: InboundOffice,
) -> None:
    call, customer = at_the_menu(inbound)
    customer.keys("1")
    inbound.office.after(1.9)
    assert (call.state.name, inbound.office.legs) == ("menu", [])
    inbound.office.after(0.2)  # the pause after a digit ends the choice
    assert call.state.name == "dialing"
    assert sorted(leg.user for leg in inbound.office.legs) == ["101", "102"]


def test_no_key_within_the_menu_timeout_goes_on_to_the_hangup_step(
    inbound: InboundOffice,
) -> None:
    call, customer = at_the_menu(inbound)
    inbound.office.after(4.9)
    assert call.state.name == "menu"
    inbound.office.after(0.2)
    assert customer.sent[-1] == "end 480"
    assert inbound.office.legs == []  # nobody was rung
    record = inbound.office.record(call)
    assert (record["disposition"], record["hangup_by"], record["reason"]) == (
        "no_answer",
        "system",
        "hangup step",
    )
    assert steps(inbound) == [
        ("greeting", "completed"),
        ("menu", "timeout"),
        ("hangup", "hangup"),
    ]


def test_a_caller_hanging_up_during_the_greeting_is_counted_as_leaving(
    inbound: InboundOffice,
) -> None:
    call, customer, _ = inbound.arrives(CUSTOMER, "main")
    inbound.office.after(0.3)
    customer.hangs_up()
    assert inbound.office.prompts.stopped == 1  # the greeting stops
    record = inbound.office.record(call)
    assert (record["disposition"], record["hangup_by"]) == ("cancelled", "caller")
