"""The console's "answer on my phone" and "pick up" over a real box: the receptionist's own
phone rings for a ringing call, a queued caller or an extension's ringing call, and once it
is answered the caller and the receptionist hear each other while the other phone stops."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.sip.test_inbound import ONE_MEMBER, join_queue
from tests.sip.test_trunks import ACCOUNTS, MOBILE, TRUNK_USER, trunk_toml, wait_trunk
from tests.support.box import Box
from tests.support.calls import CALLEE_TONE, CALLER_TONE
from tests.support.phone import Phone
from tests.support.provider import Provider
from tests.support.web import WebBox, inputs

pytestmark = pytest.mark.sip

RECEPTION_TONE = 1300


def click(admin: TestClient, path: str, data: dict[str, str]) -> str:
    csrf = inputs(admin.get("/console").text)["csrf"]
    return admin.post(path, data=data, headers={"x-csrf-token": csrf}).text


def reception_phone(box: Box, phone_factory: Callable[[str], Phone]) -> Phone:
    reception = phone_factory("ext100")
    reception.register(box, "100")
    reception.play(RECEPTION_TONE)
    return reception


def ringing_call(
    box: Box, phone_factory: Callable[[str], Phone], callee: str
) -> tuple[Phone, int, Phone, int]:
    """101 calls ``callee``, whose phone rings and is not answered."""
    ivan, other = phone_factory("ext101"), phone_factory(f"ext{callee}")
    ivan.register(box, "101")
    other.register(box, callee)
    ivan.play(CALLER_TONE)
    other.play(CALLEE_TONE)
    out = ivan.call(f"sip:{callee}@{box.domain}")
    rung = other.wait_event("incoming")["call"]
    return ivan, out, other, rung


def takes_it(reception: Phone, caller: Phone, out: int, tone: int = CALLER_TONE) -> int:
    """The receptionist's phone rings; answered, the caller (playing ``tone``) and the
    receptionist hear each other."""
    offered = reception.wait_event("incoming", timeout=10)["call"]
    reception.answer(offered)
    caller.wait_heard(RECEPTION_TONE, out)
    reception.wait_heard(tone, offered)
    return offered


def test_answer_on_my_phone_takes_a_ringing_call_from_the_ringing_extension(
    box: Box, phone_factory: Callable[[str], Phone]
) -> None:
    admin = WebBox(box.root).signed_in("admin")
    reception = reception_phone(box, phone_factory)
    ivan, out, olga, rung = ringing_call(box, phone_factory, "102")
    record = box.command("status")["calls"][0]["record"]
    unset = click(admin, "/console/answer", {"record": str(record)})
    assert "Choose your phone first" in unset
    assert "&#39;199&#39; is no extension" in click(admin, "/console/phone", {"phone": "199"})
    assert "Calls you take ring extension 100" in click(admin, "/console/phone", {"phone": "100"})
    assert f'data-answer="{record}"' in admin.get("/console").text

    taken = click(admin, "/console/answer", {"record": str(record)})
    assert f"Call {record} rings your phone (100)" in taken
    offered = takes_it(reception, ivan, out)
    olga.wait_state(rung, "disconnected")
    again = click(admin, "/console/answer", {"record": str(record)})
    assert f"call {record} is not ringing or queued" in again
    reception.hangup(offered)
    ivan.wait_state(out, "disconnected")
    [row] = box.closed_calls(1)
    assert (row["caller"], row["answered_by"]) == ("101", "100")


def test_pick_up_takes_the_call_ringing_an_extension(
    box: Box, phone_factory: Callable[[str], Phone]
) -> None:
    admin = WebBox(box.root).signed_in("admin")
    reception = reception_phone(box, phone_factory)
    click(admin, "/console/phone", {"phone": "100"})
    refused = click(admin, "/console/pickup", {"extension": "103"})
    assert "nothing rings extension &#39;103&#39; now" in refused
    ivan, out, sergey, rung = ringing_call(box, phone_factory, "103")
    assert 'data-pickup="103"' in admin.get("/console").text
    taken = click(admin, "/console/pickup", {"extension": "103"})
    assert "rings your phone (100)" in taken
    offered = takes_it(reception, ivan, out)
    sergey.wait_state(rung, "disconnected")
    ivan.hangup(out)
    reception.wait_state(offered, "disconnected")
    [row] = box.closed_calls(1)
    assert row["answered_by"] == "100"


def test_answer_on_my_phone_takes_a_caller_waiting_in_a_queue(
    box_factory: Callable[..., Box],
    provider_factory: Callable[..., Provider],
    phone_factory: Callable[[str], Phone],
) -> None:
    provider = provider_factory(
        accounts=dict(ACCOUNTS), dids={TRUNK_USER: TRUNK_USER}, address="127.0.0.3"
    )
    numbers = trunk_toml(provider).replace('destination = "100"', 'scenario = "support"')
    box = box_factory(extra=ONE_MEMBER.format(wrap_up=1) + numbers)
    wait_trunk(box, up=True)
    [(customer, out)] = join_queue(phone_factory, provider, [MOBILE])
    admin = WebBox(box.root).signed_in("admin")
    reception = reception_phone(box, phone_factory)
    click(admin, "/console/phone", {"phone": "100"})
    [call] = box.command("status")["calls"]
    assert call["state"] == "queued"
    taken = click(admin, "/console/answer", {"record": str(call["record"])})
    assert "rings your phone (100)" in taken
    offered = takes_it(reception, customer, out, tone=800)  # join_queue's first caller
    [queue] = [q for q in box.command("status")["queues"] if q["department"] == "700"]
    assert queue["answered"] == 1
    customer.hangup(out)
    reception.wait_state(offered, "disconnected")
