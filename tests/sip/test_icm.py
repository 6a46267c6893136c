"""ICM end to end: a returning customer reaches the manager who last talked with them,
and the scenario carries on when that manager does not answer.

The customer calls the office number through the SIP trunk from the provider
stand-in; the staff are phones of the box.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

import pytest

from firmware.store import icm as decisions
from firmware.store.db import connect
from tests.sip.test_inbound import caller, staff
from tests.sip.test_trunks import ACCOUNTS, TRUNK_USER, trunk_toml, wait_trunk
from tests.support.box import Box
from tests.support.phone import Phone
from tests.support.provider import Provider

pytestmark = pytest.mark.sip

OFFICE = """
[icm]
ring_timeout = 3

[[departments]]
number = "600"
name = "Sales"
strategy = "all"
ring_timeout = 10
members = ["101", "102"]
queue = { enabled = false }

[[scenarios]]
name = "returning"
steps = [{ kind = "icm" }, { kind = "dial", target = "department:600" }]
"""


@pytest.fixture
def office(box_factory, provider_factory) -> tuple[Box, Provider]:
    provider = provider_factory(
        accounts=dict(ACCOUNTS), dids={TRUNK_USER: TRUNK_USER}, address="127.0.0.3"
    )
    numbers = trunk_toml(provider).replace('destination = "100"', 'scenario = "returning"')
    box = box_factory(extra=OFFICE + numbers)
    wait_trunk(box, up=True)
    return box, provider


def talk(customer: Phone, provider: Provider, manager: Phone) -> int:
    """The customer calls the office and the ``manager`` answers; both hear each other."""
    out = customer.call(f"sip:{TRUNK_USER}@{provider.domain}")
    offered = manager.wait_event("incoming", timeout=15)["call"]
    manager.answer(offered)
    customer.wait_heard(1100, out)
    manager.wait_heard(700, offered)
    customer.hangup(out)
    manager.wait_state(offered, "disconnected")
    return offered


def people(
    box: Box, provider: Provider, phone_factory: Callable[[str], Phone]
) -> tuple[Phone, Phone, Phone]:
    """Ivan and Olga of department 600 (both playing 1100 Hz) and a customer (700 Hz)."""
    ivan, olga = staff(phone_factory, box, "101", "102")
    customer = caller(phone_factory, provider)
    customer.play(700)
    olga.play(1100)
    ivan.play(1100)
    return ivan, olga, customer


def last_decision(box: Box) -> dict:
    store: sqlite3.Connection = connect(box.home.store)
    record = store.execute("SELECT max(call_record) FROM icm_decisions").fetchone()[0]
    [decision] = decisions.of_call(store, record)
    return decision


def test_a_returning_customer_reaches_the_manager_who_last_talked_with_them(
    office: tuple[Box, Provider], phone_factory: Callable[[str], Phone]
) -> None:
    box, provider = office
    ivan, olga, customer = people(box, provider, phone_factory)
    talk(customer, provider, olga)  # first call: nobody known, the department rings
    first = last_decision(box)
    assert (first["action"], first["trail"][0]["verdict"]) == ("next", "not_found")
    assert len(ivan.events("incoming")) == 1  # Ivan rang too: the whole department did

    talk(customer, provider, olga)  # second call: ICM rings Olga alone
    assert len(ivan.events("incoming")) == 1
    second = last_decision(box)
    assert (second["action"], second["source"], second["extension"], second["outcome"]) == (
        "ring",
        "history",
        "102",
        "answered",
    )
    rows = box.closed_calls(2)
    assert [r["answered_by"] for r in rows[-2:]] == ["102", "102"]
    [report] = json.loads(box.cli("report", "scenarios", "--json").stdout)
    assert (report["total"], report["icm_rang"], report["icm_answered"]) == (2, 1, 1)


def test_when_the_manager_does_not_answer_the_scenario_carries_on(
    office: tuple[Box, Provider], phone_factory: Callable[[str], Phone]
) -> None:
    box, provider = office
    ivan, olga, customer = people(box, provider, phone_factory)
    talk(customer, provider, olga)
    ivan.wait_event("incoming")  # the first call rang the whole department

    out = customer.call(f"sip:{TRUNK_USER}@{provider.domain}")
    alone = olga.wait_event("incoming", timeout=10)
    olga.wait_state(alone["call"], "disconnected", timeout=10)  # rang 3 s, unanswered
    offered = ivan.wait_event("incoming", timeout=10)
    assert offered["t"] - alone["t"] >= 2.5  # the department only once ICM gave up
    ivan.answer(offered["call"])
    customer.wait_heard(1100, out)
    ivan.wait_heard(700, offered["call"])
    customer.hangup(out)
    decision = last_decision(box)
    assert (decision["action"], decision["extension"], decision["outcome"]) == (
        "ring",
        "102",
        "no_answer",
    )
    assert box.closed_calls(2)[-1]["answered_by"] == "101"
    [report] = json.loads(box.cli("report", "scenarios", "--json").stdout)
    assert (report["completed"], report["icm_rang"], report["icm_answered"]) == (2, 1, 0)
