"""Calls to the office number walk scenarios: greetings, menus, departments, queues, voicemail.

The office number arrives on a SIP trunk from the provider stand-in; the
callers are phones behind the provider, the staff are phones of the box.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from firmware.prompts import BUILT_DIR
from tests.sip.test_trunks import ACCOUNTS, MOBILE, TRUNK_USER, trunk_toml, wait_trunk
from tests.support.box import Box
from tests.support.phone import Phone
from tests.support.prompts import heard_prompt
from tests.support.provider import Provider

pytestmark = pytest.mark.sip

OFFICE = """
[modes]
default = "{mode}"
schedule = []

[[departments]]
number = "600"
name = "Sales"
strategy = "{strategy}"
step = 2
ring_timeout = 6
members = ["101", "102", "103"]

[[menus]]
name = "main"
prompt = "menu_default"
keys = {{ "1" = "department:600", "9" = "voicemail:100" }}
timeout = 4

[[scenarios]]
name = "day"
steps = [
  {{ kind = "greeting", prompt = "welcome" }},
  {{ kind = "menu", menu = "main" }},
  {{ kind = "voicemail", mailbox = "100" }},
]

[[scenarios]]
name = "night"
steps = [{{ kind = "voicemail", mailbox = "100" }}]
"""


def office_toml(provider: Provider, *, mode: str = "day", strategy: str = "sequential") -> str:
    numbers_free = trunk_toml(provider).replace(
        'destination = "100"', 'scenarios = { day = "day", night = "night" }'
    )
    return OFFICE.format(mode=mode, strategy=strategy) + numbers_free


def prompt(name: str) -> Path:
    return BUILT_DIR / "ru" / f"{name}.wav"


@pytest.fixture
def provider(provider_factory) -> Provider:
    return provider_factory(
        accounts=dict(ACCOUNTS), dids={TRUNK_USER: TRUNK_USER}, address="127.0.0.3"
    )


def staff(phone_factory: Callable[[str], Phone], box: Box, *numbers: str) -> list[Phone]:
    phones = []
    for number in numbers:
        phone = phone_factory(f"ext{number}")
        phone.register(box, number)
        phones.append(phone)
    return phones


def caller(phone_factory: Callable[[str], Phone], provider: Provider) -> Phone:
    phone = phone_factory("customer")
    phone.register(provider, MOBILE)
    return phone


def test_day_mode_greeting_menu_key_1_sales_one_after_another(
    box_factory, provider: Provider, phone_factory
) -> None:
    box = box_factory(extra=office_toml(provider))
    wait_trunk(box, up=True)
    ivan, olga, sergey = staff(phone_factory, box, "101", "102", "103")
    customer = caller(phone_factory, provider)
    customer.play(700)
    olga.play(1100)
    out = customer.call(f"sip:{TRUNK_USER}@{provider.domain}")
    customer.wait_state(out, "confirmed")
    from tests.support.wait import wait_until

    wait_until(
        lambda: heard_prompt(customer.recorded(out), prompt("menu_default")),
        timeout=20,
        what="the menu prompt",
    )
    assert heard_prompt(customer.recorded(out), prompt("welcome"))
    customer.dtmf(out, "1")
    first = ivan.wait_event("incoming", timeout=5)
    second = olga.wait_event("incoming", timeout=6)
    assert 1.7 <= second["t"] - first["t"] <= 3.0  # step = 2 s
    ivan.wait_state(first["call"], "disconnected")
    olga.answer(second["call"])
    customer.wait_heard(1100, out)
    olga.wait_heard(700, second["call"])
    assert not sergey.events("incoming")
    customer.hangup(out)
    olga.wait_state(second["call"], "disconnected")
    [row] = box.closed_calls(1)
    assert (row["direction"], row["disposition"], row["destination"]) == (
        "inbound",
        "answered",
        "scenario:day",
    )
