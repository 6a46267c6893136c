"""Lines to the outside, against a provider built from real parts (a second Kamailio).

The provider sits on 127.0.0.3 with its own accounts: the box's trunk account
and test phones standing for the outside world (a mobile, a Moscow landline).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import sipp
from tests.support.box import Box
from tests.support.calls import CALLEE_TONE, CALLER_TONE, talking
from tests.support.net import free_port
from tests.support.phone import Phone
from tests.support.prompts import heard_prompt, prompt, wait_prompt
from tests.support.provider import Provider
from tests.support.wait import wait_until

pytestmark = pytest.mark.sip

TRUNK_USER, TRUNK_PASSWORD = "74951110000", "Trunk-Secret-1"
MOBILE, LANDLINE = "79161234567", "74957654321"
ACCOUNTS = {TRUNK_USER: TRUNK_PASSWORD, MOBILE: "Mobile-Secret-1", LANDLINE: "Landline-Secret"}


def trunk_toml(provider: Provider, *, password: str = TRUNK_PASSWORD, channels: int = 2) -> str:
    return f"""
[[trunks]]
name = "city"
kind = "sip"
host = "{provider.server}"
username = "{TRUNK_USER}"
password = "{password}"
channels = {channels}
caller_id = "+{TRUNK_USER}"
options_interval = 1

[[numbers]]
number = "+7 495 111-00-00"
trunk = "city"
destination = "100"
"""


def status(box: Box) -> dict:
    printed = box.cli("status", "--json")
    assert printed.returncode == 0, printed.stderr
    return json.loads(printed.stdout)


def trunk_state(box: Box, name: str = "city") -> dict:
    return next(t for t in status(box)["trunks"] if t["name"] == name)


def wait_trunk(box: Box, up: bool, timeout: float = 10) -> dict:
    return wait_until(
        lambda: (s := trunk_state(box))["up"] == up and s,
        timeout=timeout,
        what=f"trunk city {'up' if up else 'down'}",
    )


@pytest.fixture
def provider(provider_factory) -> Provider:
    return provider_factory(
        accounts=dict(ACCOUNTS), dids={TRUNK_USER: TRUNK_USER}, address="127.0.0.3"
    )


@pytest.fixture
def office(box_factory, provider: Provider) -> Box:
    box = box_factory(extra=trunk_toml(provider))
    provider.wait_registered(TRUNK_USER)
    wait_trunk(box, up=True)
    return box


def outside(phone_factory: Callable[[str], Phone], provider: Provider, number: str) -> Phone:
    phone = phone_factory(f"out{number}")
    phone.register(provider, number)
    return phone


def test_reception_keys_a_customer_on_to_a_mobile_and_the_line_carries_them(
    office: Box, provider: Provider, phone_factory: Callable[[str], Phone]
) -> None:
    mobile = outside(phone_factory, provider, MOBILE)
    mobile.play(1300)
    ivan, reception, out, inc = talking(office, phone_factory, caller="101", callee="100")
    reception.dtmf(inc, "*2989161234567#")  # under reception's own outbound rights
    reception.wait_state(inc, "disconnected")
    offered = mobile.wait_event("incoming")
    assert offered["from_user"] == TRUNK_USER  # the line's caller ID
    mobile.answer(offered["call"])
    ivan.wait_heard(1300, out)
    mobile.wait_heard(CALLER_TONE, offered["call"])
    ivan.hangup(out)
    mobile.wait_state(offered["call"], "disconnected")
    [row] = office.closed_calls(1)
    assert (row["trunk"], row["answered_by"], row["transferred_to"]) == (
        "city",
        "100",
        "+79161234567",
    )
    wait_until(lambda: trunk_state(office)["busy"] == 0, timeout=5, what="the line freed")


def test_a_mobile_brought_into_a_customer_call_goes_when_reception_leaves(
    office: Box, provider: Provider, phone_factory: Callable[[str], Phone]
) -> None:
    customer, mobile = (outside(phone_factory, provider, n) for n in (LANDLINE, MOBILE))
    customer.play(CALLER_TONE)
    mobile.play(1300)
    reception = phone_factory("ext100")
    reception.register(office, "100")
    reception.play(CALLEE_TONE)
    reception.auto_answer(200)
    out = customer.call(f"sip:{TRUNK_USER}@{provider.domain}")  # the office number: reception
    inc = reception.wait_event("incoming")["call"]
    customer.wait_heard(CALLEE_TONE, out)
    reception.dtmf(inc, "*3989161234567#")  # bring in a mobile, on the second channel
    offered = mobile.wait_event("incoming")
    mobile.answer(offered["call"])
    for phone, call, others in (
        (customer, out, (CALLEE_TONE, 1300)),
        (reception, inc, (CALLER_TONE, 1300)),
        (mobile, offered["call"], (CALLER_TONE, CALLEE_TONE)),
    ):
        for tone in others:
            phone.wait_heard(tone, call)

    reception.hangup(inc)  # the office leaves: the two outside are let go with it
    customer.wait_state(out, "disconnected")
    mobile.wait_state(offered["call"], "disconnected")
    wait_until(lambda: trunk_state(office)["busy"] == 0, timeout=5, what="both lines freed")


def test_minipbx_number_says_which_line_would_carry_a_call_now(office: Box) -> None:
    printed = office.cli("number", "--from", "101", "--json", "9 8 (916) 123-45-67")
    assert printed.returncode == 0, printed.stderr
    answer = json.loads(printed.stdout)
    assert (answer["allowed"], answer["e164"], answer["class"], answer["trunk_now"]) == (
        True,
        "+79161234567",
        "mobile",
        "city",
    )
    refused = json.loads(office.cli("number", "--from", "101", "--json", "9810493012345678").stdout)
    assert (refused["allowed"], refused["why"]) == (
        False,
        "international calls are not allowed for 101",
    )
    bad = office.cli("number", "+7 916 12")
    assert bad.returncode == 1 and "too short" in bad.stderr


def test_an_extension_calls_a_mobile_through_the_provider(office: Box, provider, phone_factory):
    mobile = outside(phone_factory, provider, MOBILE)
    ivan = phone_factory("ivan")
    ivan.register(office, "101")
    ivan.play(700)
    mobile.play(1100)
    out = ivan.call(f"sip:9 8 916 123-45-67@{office.domain}".replace(" ", "").replace("-", ""))
    incoming = mobile.wait_event("incoming")
    assert incoming["from_user"] == TRUNK_USER  # the trunk's caller ID, not the extension
    ivan.wait_heard(425, out)
    mobile.answer(incoming["call"])
    ivan.wait_heard(1100, out)
    mobile.wait_heard(700, incoming["call"])
    ivan.hangup(out)
    mobile.wait_state(incoming["call"], "disconnected")
    [row] = office.closed_calls(1)
    assert (row["direction"], row["caller"], row["callee"], row["number_class"]) == (
        "outbound",
        "101",
        "+79161234567",
        "mobile",
    )
    assert (row["trunk"], row["disposition"], row["hangup_by"]) == ("city", "answered", "caller")


def test_a_call_to_the_office_number_rings_its_destination(office: Box, provider, phone_factory):
    caller = outside(phone_factory, provider, MOBILE)
    reception = phone_factory("reception")
    reception.register(office, "100")
    caller.play(700)
    reception.play(1100)
    out = caller.call(f"sip:{TRUNK_USER}@{provider.domain}")
    incoming = reception.wait_event("incoming")
    assert incoming["from_user"] == "+79161234567"
    reception.answer(incoming["call"])
    caller.wait_heard(1100, out)
    reception.wait_heard(700, incoming["call"])
    reception.hangup(incoming["call"])
    caller.wait_state(out, "disconnected")
    [row] = office.closed_calls(1)
    assert (row["direction"], row["caller"], row["callee"], row["destination"]) == (
        "inbound",
        "+79161234567",
        "+74951110000",
        "100",
    )
    assert (row["trunk"], row["disposition"], row["hangup_by"]) == ("city", "answered", "callee")


def test_a_number_the_box_does_not_own_is_refused_and_logged(
    box_factory, provider_factory, phone_factory
) -> None:
    provider = provider_factory(
        accounts=dict(ACCOUNTS),
        dids={TRUNK_USER: TRUNK_USER, "74951119999": TRUNK_USER},
        address="127.0.0.3",
    )
    box = box_factory(extra=trunk_toml(provider))
    provider.wait_registered(TRUNK_USER)
    caller = outside(phone_factory, provider, MOBILE)
    out = caller.call(f"sip:74951119999@{provider.domain}")
    assert caller.wait_state(out, "disconnected")["code"] == 404
    [row] = box.closed_calls(1)
    assert (row["callee"], row["reason"]) == ("+74951119999", "number not owned by this box")
    assert "a number this box does not own" in box.engine_log_text()


def test_wrong_trunk_credentials_mean_down_with_the_providers_answer(
    box_factory, provider: Provider, phone_factory
) -> None:
    box = box_factory(extra=trunk_toml(provider, password="Wrong-Secret-1"))
    state = wait_trunk(box, up=False)
    wait_until(
        lambda: "registration failed: 401" in trunk_state(box)["why_down"],
        timeout=10,
        what="the provider's refusal in the trunk state",
    )
    assert state["busy"] == 0
    ivan = phone_factory("ivan")
    ivan.register(box, "101")
    out = ivan.call(f"sip:989161234567@{box.domain}")
    assert ivan.wait_state(out, "disconnected", timeout=10)["code"] == 500  # 503, relayed
    [row] = box.closed_calls(1)
    assert row["reason"] == "no permitted line is up"


def test_a_trunk_whose_provider_stops_answering_goes_down_and_comes_back(
    office: Box, provider: Provider
) -> None:
    provider.stop()
    wait_trunk(office, up=False)
    assert "no answer to OPTIONS" in trunk_state(office)["why_down"]
    provider.start()
    wait_trunk(office, up=True, timeout=20)


def test_emergency_goes_out_even_from_a_phone_with_no_outside_rights(
    box_factory, provider_factory, phone_factory
) -> None:
    provider = provider_factory(
        accounts={**ACCOUNTS, "112": "Rescue-Secret-1"},
        dids={TRUNK_USER: TRUNK_USER},
        address="127.0.0.3",
    )
    lobby = "\n".join(
        [
            "[outbound]",
            "allow = []",
        ]
    )
    box = box_factory(extra=lobby + "\n" + trunk_toml(provider))
    wait_trunk(box, up=True)
    rescue = outside(phone_factory, provider, "112")
    rescue.auto_answer(200)
    ivan = phone_factory("ivan")
    ivan.register(box, "101")
    out = ivan.call(f"sip:112@{box.domain}")
    rescue.wait_event("incoming")
    ivan.wait_state(out, "confirmed")
    ivan.hangup(out)
    [row] = box.closed_calls(1)
    assert (row["number_class"], row["trunk"], row["disposition"]) == (
        "emergency",
        "city",
        "answered",
    )


def test_an_analog_line_adapter_carries_calls_both_ways(box_factory, phone_factory) -> None:
    line = """
[[trunks]]
name = "line1"
kind = "fxo"
username = "fxo1"
password = "Adapter-Secret-1"
options_interval = 1

[[numbers]]
number = "+7 495 777-00-00"
trunk = "line1"
destination = "102"
"""
    box = box_factory(extra=line)
    adapter = phone_factory("adapter")
    adapter.register(box, "fxo1", password="Adapter-Secret-1")
    wait_until(
        lambda: trunk_state(box, "line1")["up"], timeout=10, what="the analog line to come up"
    )
    adapter.play(1100)
    ivan = phone_factory("ivan")
    ivan.register(box, "101")
    ivan.play(700)
    out = ivan.call(f"sip:94957654321@{box.domain}")
    incoming = adapter.wait_event("incoming")
    assert incoming["request_uri"].startswith("sip:84957654321@")
    adapter.answer(incoming["call"])
    ivan.wait_heard(1100, out)
    adapter.wait_heard(700, incoming["call"])
    ivan.hangup(out)

    olga = phone_factory("olga")
    olga.register(box, "102")
    olga.auto_answer(200)
    ring = adapter.call(f"sip:s@{box.domain}")
    olga.wait_event("incoming")
    adapter.wait_state(ring, "confirmed")
    adapter.hangup(ring)
    rows = box.closed_calls(2)
    assert [(r["direction"], r["trunk"]) for r in rows] == [
        ("outbound", "line1"),
        ("inbound", "line1"),
    ]
    assert rows[1]["callee"] == "+74957770000" and rows[1]["destination"] == "102"


def test_a_call_that_breaks_a_rule_hears_why_and_is_refused(
    box_factory, provider: Provider, phone_factory
) -> None:
    lobby = '\n[outbound]\nallow = ["local"]\n'
    box = box_factory(extra=lobby + trunk_toml(provider))
    wait_trunk(box, up=True)
    olga = phone_factory("olga")
    olga.register(box, "102")
    out = olga.call(f"sip:989161234567@{box.domain}")
    ended = olga.wait_state(out, "disconnected", timeout=15)
    assert (ended["code"], ended["reason"]) == (403, "Forbidden")
    assert heard_prompt(olga.recorded(out), prompt("not_allowed"))
    assert not heard_prompt(olga.recorded(out), prompt("limit_reached"))
    [row] = box.closed_calls(1)
    assert (row["disposition"], row["reason"], row["trunk"]) == (
        "failed",
        "mobile calls are not allowed for 102",
        None,
    )


def test_toll_fraud_limit_refuses_the_call_over_the_hourly_cap(
    box_factory, provider: Provider, phone_factory
) -> None:
    limits = "\n[outbound]\nmax_per_hour = 1\n"
    box = box_factory(extra=limits + trunk_toml(provider))
    wait_trunk(box, up=True)
    mobile = outside(phone_factory, provider, MOBILE)
    mobile.auto_answer(200)
    ivan = phone_factory("ivan")
    ivan.register(box, "101")
    first = ivan.call(f"sip:989161234567@{box.domain}")
    ivan.wait_state(first, "confirmed")
    ivan.hangup(first)
    second = ivan.call(f"sip:989161234567@{box.domain}")
    assert ivan.wait_state(second, "disconnected", timeout=15)["code"] == 403
    assert heard_prompt(ivan.recorded(second), prompt("limit_reached"))
    rows = box.closed_calls(2)
    assert rows[1]["reason"] == "limit of 1 outside calls per hour reached"


def test_line_queue_rings_back_when_the_line_frees(
    box_factory, provider: Provider, phone_factory
) -> None:
    box = box_factory(extra=trunk_toml(provider, channels=1))
    wait_trunk(box, up=True)
    mobile = outside(phone_factory, provider, MOBILE)
    landline = outside(phone_factory, provider, LANDLINE)
    mobile.auto_answer(200)
    ivan, olga = phone_factory("ivan"), phone_factory("olga")
    ivan.register(box, "101")
    olga.register(box, "102")
    olga.play(700)
    landline.play(1100)

    first = ivan.call(f"sip:989161234567@{box.domain}")
    ivan.wait_state(first, "confirmed")
    wanted = olga.call(f"sip:974957654321@{box.domain}")
    olga.wait_state(wanted, "confirmed")
    wait_prompt(olga, wanted, prompt("lines_busy_offer"), timeout=15)
    olga.dtmf(wanted, "1")
    olga.wait_state(wanted, "disconnected", timeout=15)
    assert heard_prompt(olga.recorded(wanted), prompt("lines_busy_queued"))
    assert status(box)["line_queue"] == [{"extension": "102", "number": "+74957654321"}]

    ivan.hangup(first)
    callback = olga.wait_event("incoming", timeout=10)
    assert callback["headers"]["alert-info"] == "<urn:alert:service:recall:callback>"
    olga.answer(callback["call"])
    olga.wait_heard(1400, callback["call"])
    dialed = landline.wait_event("incoming", timeout=10)
    landline.answer(dialed["call"])
    olga.wait_heard(1100, callback["call"])
    landline.wait_heard(700, dialed["call"])
    olga.hangup(callback["call"])
    rows = box.closed_calls(3)
    queued, back = rows[1], rows[2]
    assert (queued["caller"], queued["disposition"], queued["callee"]) == (
        "102",
        "queued",
        "+74957654321",
    )
    assert (back["queued_from"], back["trunk"], back["disposition"]) == (
        queued["id"],
        "city",
        "answered",
    )


def test_a_busy_provider_is_never_banned_as_a_flood(
    box_factory, provider: Provider, tmp_path: Path
) -> None:
    """40 calls in a second from the provider: more requests than the flood limit allows any
    other source, all put through, the provider not banned."""
    office = box_factory(extra=trunk_toml(provider, channels=CALLS))
    wait_trunk(office, up=True)
    echo = sipp.echo_phone(
        server=office.server,
        number="100",
        password=office.password("100"),
        calls=CALLS,
        cwd=tmp_path,
    )
    caller = sipp.authenticated_caller(
        server=provider.server,
        accounts={MOBILE: ACCOUNTS[MOBILE]},
        callee=TRUNK_USER,
        local_port=free_port(),
        media_port=free_port(),
        hold_ms=500,
        cwd=tmp_path,
        media=sipp.tone_file(tmp_path, 1000),
        extra=["-m", str(CALLS), "-l", str(CALLS), "-r", str(CALLS)],
    )
    try:
        assert sipp.stop(caller, timeout=60) == 0, caller.stderr.read() if caller.stderr else ""
    finally:
        sipp.stop(echo)
    listed = office.cli("bans")
    assert provider.address not in listed.stdout, listed.stdout
    assert len(office.closed_calls(CALLS)) == CALLS


CALLS = 40
