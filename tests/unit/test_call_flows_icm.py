"""ICM's lookup on fake legs: the caller waits while a CRM is asked, at most ``icm.timeout``
on the office's clock; the manager found rings.

The CRM is the loopback stand-in the ICM lookup tests ask, in the engine's own
worker thread; the test waits for its answer on a condition with a deadline.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from firmware.engine.call import Call
from tests.support.crm_standin import CrmStandin
from tests.support.inbound_office import InboundOffice
from tests.support.office_lines import ANALOG_LINE
from tests.unit.offices import CITY_TRUNK
from tests.unit.test_call_flows import hears
from tests.unit.test_icm import EXPLAINED, customer_called
from tests.unit.test_icm_lookup import NUMBER, crm_first

CUSTOMER = "+" + NUMBER  # amoCRM's user 7 (Olga, 102) has them; the box's history: Ivan


@pytest.fixture
def crm() -> Iterator[CrmStandin]:
    with CrmStandin(contacts={NUMBER: ("7", None, "Anna Kuznetsova")}) as standin:
        yield standin


def icm_office(crm: CrmStandin, tmp_path: Path, timeout: float) -> InboundOffice:
    office = EXPLAINED.replace(CITY_TRUNK, ANALOG_LINE)  # a line that needs no SIP
    inbound = InboundOffice(crm_first(crm, timeout, office), tmp_path)
    customer_called(inbound.office.store, "101", days_ago=3)
    return inbound


def until_moved_on(inbound: InboundOffice, call: Call) -> None:
    """The engine's turns run until the lookup's answer moved the call on (5 s at most)."""
    deadline = time.monotonic() + 5.0
    while call.state is not None and call.state.name == "icm_lookup":
        assert time.monotonic() < deadline, "the CRM's answer never reached the call"
        inbound.office.after(0)
        time.sleep(0.001)


def decision(inbound: InboundOffice) -> tuple[str, str, str]:
    row = inbound.office.store.execute(
        "SELECT source, extension, outcome FROM icm_decisions"
    ).fetchone()
    return row["source"], row["extension"], row["outcome"]


def test_a_crm_answering_in_time_rings_its_manager(crm: CrmStandin, tmp_path: Path) -> None:
    inbound = icm_office(crm, tmp_path, timeout=1.5)
    call, customer, _ = inbound.arrives(CUSTOMER, "main")
    assert (call.state.name, inbound.office.legs) == ("icm_lookup", [])
    until_moved_on(inbound, call)
    [olga] = inbound.office.legs
    assert (call.state.name, olga.user) == ("dialing", "102")
    olga.answers()
    assert hears(customer, olga) and hears(olga, customer)
    assert decision(inbound) == ("amocrm", "102", "answered")
    assert [r.path for r in crm.requests] == ["/api/v4/contacts"]
    inbound.close()


def test_a_crm_too_slow_is_passed_by_at_the_timeout_and_the_history_decides(
    crm: CrmStandin, tmp_path: Path
) -> None:
    crm.slow = 30.0
    inbound = icm_office(crm, tmp_path, timeout=0.5)
    call, _, _ = inbound.arrives(CUSTOMER, "main")
    inbound.office.after(0.45)
    assert (call.state.name, inbound.office.legs) == ("icm_lookup", [])
    inbound.office.after(0.1)  # [icm] timeout, on the office's clock
    [ivan] = inbound.office.legs
    assert (call.state.name, ivan.user) == ("dialing", "101")
    assert decision(inbound)[:2] == ("history", "101")
    inbound.close()


def test_a_caller_leaving_during_the_lookup_ends_the_call_and_rings_nobody(
    crm: CrmStandin, tmp_path: Path
) -> None:
    crm.slow = 30.0
    inbound = icm_office(crm, tmp_path, timeout=0.5)
    call, customer, _ = inbound.arrives(CUSTOMER, "main")
    customer.hangs_up()
    inbound.office.after(1.0)
    assert inbound.office.legs == []
    record = inbound.office.record(call)
    assert (record["disposition"], record["reason"]) == ("cancelled", "caller hung up in icm")
    inbound.close()
