"""ICM end to end: a returning customer reaches the manager who last talked with them,
and the scenario carries on when that manager does not answer.

The customer calls the office number through the SIP trunk from the provider
stand-in; the staff are phones of the box.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator

import pytest

from firmware.store import icm as decisions
from firmware.store.db import connect
from tests.sip.test_inbound import caller, staff
from tests.sip.test_trunks import ACCOUNTS, MOBILE, TRUNK_USER, trunk_toml, wait_trunk
from tests.support.box import Box
from tests.support.calls import CALLEE_TONE
from tests.support.crm_standin import CrmStandin
from tests.support.phone import Phone
from tests.support.provider import Provider

pytestmark = pytest.mark.sip

ICM = """
[icm]
ring_timeout = 3
"""

OFFICE = """
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


#: Olga's mobile, and the customer calling from the office's own area as a bare local number.
OLGA_MOBILE = "79160000102"
LOCAL = "1234567"
OFFICE_ACCOUNTS = {
    **ACCOUNTS,
    OLGA_MOBILE: "Olga-Mobile-Secret",
    LOCAL: "Local-Secret-1",
    f"7495{LOCAL}": "Local-Secret-2",
}

Office = tuple[Box, Provider]


def office_toml(provider: Provider, icm: str = ICM) -> str:
    numbers = trunk_toml(provider).replace('destination = "100"', 'scenario = "returning"')
    return icm + OFFICE + numbers


@pytest.fixture
def office_factory(box_factory, provider_factory) -> Callable[..., Office]:
    """An office whose number runs the scenario "returning" (ICM, then department 600)."""

    def make(icm: str = ICM, **options: object) -> Office:
        provider = provider_factory(
            accounts=OFFICE_ACCOUNTS, dids={TRUNK_USER: TRUNK_USER}, address="127.0.0.3"
        )
        box = box_factory(extra=office_toml(provider, icm), **options)
        wait_trunk(box, up=True)
        return box, provider

    return make


@pytest.fixture
def office(office_factory: Callable[..., Office]) -> Office:
    return office_factory()


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


def test_reception_transfers_a_returning_customer_to_icm_and_their_manager_takes_it(
    office: tuple[Box, Provider], phone_factory: Callable[[str], Phone]
) -> None:
    box, provider = office
    ivan, olga, customer = people(box, provider, phone_factory)
    talk(customer, provider, olga)  # Olga talked with this customer before
    box.write_config(extra=ICM + OFFICE + trunk_toml(provider))  # the number rings reception
    assert box.cli("reload").returncode == 0
    [reception] = staff(phone_factory, box, "100")
    reception.play(CALLEE_TONE)

    out = customer.call(f"sip:{TRUNK_USER}@{provider.domain}")
    inc = reception.wait_event("incoming", timeout=15)["call"]
    reception.answer(inc)
    customer.wait_heard(CALLEE_TONE, out)
    reception.transfer(inc, f"sip:6100@{box.domain}")  # the transfer key, to ICM's number
    reception.wait_state(inc, "disconnected")
    offered = olga.wait_event("incoming", timeout=10)
    olga.answer(offered["call"])
    customer.wait_heard(1100, out)
    olga.wait_heard(700, offered["call"])
    customer.hangup(out)
    olga.wait_state(offered["call"], "disconnected")

    assert len(ivan.events("incoming")) == 1  # ICM rang Olga alone, not the department
    decision = last_decision(box)
    assert (decision["action"], decision["extension"], decision["outcome"]) == (
        "ring",
        "102",
        "answered",
    )
    row = box.closed_calls(2)[-1]
    assert (row["answered_by"], row["transferred_to"]) == ("100", "6100")


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


@pytest.mark.parametrize(
    ("icm", "keys", "why"),
    [
        (ICM, {"102": ["dnd = true"]}, "on do-not-disturb"),
        (ICM + 'exceptions = ["102"]\n', None, "102 is in icm.exceptions"),
    ],
    ids=["dnd", "exception"],
)
def test_a_manager_icm_may_not_ring_is_passed_over_to_the_department_at_once(
    office: Office,
    phone_factory: Callable[[str], Phone],
    icm: str,
    keys: dict[str, list[str]] | None,
    why: str,
) -> None:
    box, provider = office
    ivan, olga, customer = people(box, provider, phone_factory)
    talk(customer, provider, olga)
    ivan.wait_event("incoming")  # the first call rang the whole department
    box.write_config(extra=office_toml(provider, icm), extension_keys=keys)
    assert box.cli("reload").returncode == 0

    called = time.monotonic()
    talk(customer, provider, ivan)
    assert ivan.events("incoming")[-1]["t"] - called < 2.5  # ICM rang nobody for 3 s first
    decision = last_decision(box)
    assert (decision["action"], decision["trail"][0]["verdict"]) == ("next", "skipped")
    assert decision["trail"][0]["why"] == why
    assert box.closed_calls(2)[-1]["answered_by"] == "101"


def test_the_mobile_checkbox_rings_the_managers_mobile_at_the_provider(
    office_factory: Callable[..., Office], phone_factory: Callable[[str], Phone]
) -> None:
    box, provider = office_factory(
        icm=ICM + "ring_mobile = true\n",
        extension_keys={"102": [f'mobile = "+{OLGA_MOBILE}"', "forward_after = 1"]},
    )
    _, olga, customer = people(box, provider, phone_factory)
    pocket = phone_factory("olga-mobile")
    pocket.register(provider, OLGA_MOBILE)
    pocket.play(1300)
    talk(customer, provider, olga)  # the department rings desks only

    out = customer.call(f"sip:{TRUNK_USER}@{provider.domain}")
    desk = olga.wait_event("incoming", timeout=10)
    mobile = pocket.wait_event("incoming", timeout=6)
    assert mobile["t"] - desk["t"] >= 0.7  # after Olga's forward_after
    pocket.answer(mobile["call"])
    customer.wait_heard(1300, out)
    pocket.wait_heard(700, mobile["call"])
    olga.wait_state(desk["call"], "disconnected")
    customer.hangup(out)
    decision = last_decision(box)
    assert (decision["action"], decision["extension"], decision["outcome"]) == (
        "ring",
        "102",
        "answered",
    )
    assert len(pocket.events("incoming")) == 1


def test_a_bare_local_number_is_the_customer_who_called_with_the_area_code(
    office: Office, phone_factory: Callable[[str], Phone]
) -> None:
    box, provider = office
    ivan, olga = staff(phone_factory, box, "101", "102")
    olga.play(1100)
    full, local = phone_factory("full"), phone_factory("local")
    for phone, number in ((full, f"7495{LOCAL}"), (local, LOCAL)):
        phone.register(provider, number)
        phone.play(700)
    talk(full, provider, olga)
    ivan.wait_event("incoming")

    talk(local, provider, olga)
    assert len(ivan.events("incoming")) == 1  # ICM rang Olga alone
    decision = last_decision(box)
    assert (decision["number"], decision["source"], decision["extension"]) == (
        f"7495{LOCAL}",
        "history",
        "102",
    )


@pytest.fixture
def crm() -> Iterator[CrmStandin]:
    with CrmStandin() as standin:
        yield standin


def test_the_crm_asked_first_names_the_manager_over_the_history(
    office_factory: Callable[..., Office], phone_factory: Callable[[str], Phone], crm: CrmStandin
) -> None:
    box, provider = office_factory(
        icm=ICM
        + 'sources = ["bitrix24", "history"]\n'
        + f'\n[icm.bitrix24]\nwebhook = "{crm.webhook}"\n'
        + "cache_seconds = 0\n"  # the contact is made between the calls
    )
    _, olga, customer = people(box, provider, phone_factory)
    [sergey] = staff(phone_factory, box, "103")
    sergey.play(1100)
    talk(customer, provider, olga)  # unknown to the CRM: the history will say Olga
    crm.contacts[MOBILE] = ("7", "103", "Customer of Sergey")

    talk(customer, provider, sergey)  # Bitrix24 gives its user's inner number, 103
    assert len(olga.events("incoming")) == 1
    decision = last_decision(box)
    assert (decision["source"], decision["extension"], decision["outcome"]) == (
        "bitrix24",
        "103",
        "answered",
    )
    assert [e["verdict"] for e in decision["trail"]] == ["chosen", "not_consulted"]
    status = json.loads(box.cli("status", "--json").stdout)["icm"]["bitrix24"]
    assert (status["active"], status["lookups"], status["failures"]) == (True, 2, 0)


def test_a_crm_that_does_not_answer_in_time_is_passed_by_for_the_history(
    office_factory: Callable[..., Office], phone_factory: Callable[[str], Phone], crm: CrmStandin
) -> None:
    box, provider = office_factory(
        icm=ICM
        + 'sources = ["amocrm", "history"]\ntimeout = 1.0\n'
        + f'\n[icm.amocrm]\nurl = "{crm.url}"\ntoken = "{crm.amo_token}"\n'
        + "cache_seconds = 0\n"  # the first call's "not found" would answer the second
    )
    ivan, olga, customer = people(box, provider, phone_factory)
    talk(customer, provider, olga)
    ivan.wait_event("incoming")
    crm.slow = 30.0

    called = time.monotonic()
    talk(customer, provider, olga)
    assert olga.events("incoming")[-1]["t"] - called < 1.0 + 1.0
    assert len(ivan.events("incoming")) == 1  # the history's Olga, not the department
    decision = last_decision(box)
    assert [(e["source"], e["verdict"]) for e in decision["trail"]] == [
        ("amocrm", "failed"),
        ("history", "chosen"),
    ]
    assert decision["trail"][0]["why"].startswith("timeout")
    explained = box.cli("explain", "--to", TRUNK_USER, "--from", MOBILE, "--offline", "--json")
    assert [(e["source"], e["verdict"]) for e in json.loads(explained.stdout)["icm"]["trail"]] == [
        ("amocrm", "not_consulted"),
        ("history", "chosen"),
    ]
    shown = box.cli("status").stdout
    assert "icm amocrm (active): " in shown
    assert "failed" in shown
    assert crm.amo_token not in shown
