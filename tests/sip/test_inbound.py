"""Calls to the office number walk scenarios: greetings, menus, departments, queues, voicemail.

The office number arrives on a SIP trunk from the provider stand-in; the
callers are phones behind the provider, the staff are phones of the box.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler

from firmware.store.db import connect
from firmware.store.voicemail import Mailboxes
from tests.sip.test_trunks import ACCOUNTS, MOBILE, TRUNK_USER, trunk_toml, wait_trunk
from tests.support.box import Box
from tests.support.net import free_port
from tests.support.phone import Phone
from tests.support.prompts import find_prompt, heard_prompt, heard_sequence, prompt, wait_prompt
from tests.support.provider import Provider
from tests.support.wait import wait_until
from tests.support.web import USER_PASSWORD, WebBox, inputs, wav

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


def join_queue(
    phone_factory: Callable[[str], Phone], provider: Provider, numbers: list[str]
) -> list[tuple[Phone, int]]:
    """Each number calls the office in turn, the n-th playing 700 + 100 n Hz, told its place."""
    waiting = []
    for place, number in enumerate(numbers, start=1):
        phone = phone_factory(f"caller{place}")
        phone.register(provider, number)
        phone.play(700 + 100 * place)
        out = phone.call(f"sip:{TRUNK_USER}@{provider.domain}")
        phone.wait_state(out, "confirmed")
        wait_until(
            lambda p=phone, o=out, n=place: heard_sequence(
                p.recorded(o), [prompt("queue_position"), prompt(f"num_{n}")]
            ),
            timeout=15,
            what=f"caller {place} told place {place}",
        )
        waiting.append((phone, out))
    return waiting


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
    wait_prompt(customer, out, prompt("menu_default"), timeout=20)
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
    report = json.loads(box.cli("report", "scenarios", "--json").stdout)
    [day] = [r for r in report if r["scenario"] == "day"]
    assert (day["total"], day["by_option"], day["with_transfer"], day["completed"]) == (
        1,
        {"1": 1},
        1,
        1,
    )


@pytest.fixture
def smtp(tmp_path: Path):
    """A real SMTP server on loopback that keeps what it receives."""
    received: list = []

    class Keep(MessageHandler):
        def handle_message(self, message) -> None:
            received.append(message)

    port = free_port("tcp")
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port, received
    controller.stop()


def test_night_mode_voicemail_email_message_lamp_and_listening(
    box_factory, provider: Provider, phone_factory, smtp
) -> None:
    smtp_port, mail = smtp
    box = box_factory(
        extra=office_toml(provider, mode="night")
        + f"\n[voicemail]\nsmtp_port = {smtp_port}\nmax_seconds = 20\n",
        extension_keys={"100": ['email = "reception@office.test"', 'voicemail_pin = "4321"']},
    )
    wait_trunk(box, up=True)
    [reception] = staff(phone_factory, box, "100")
    customer = caller(phone_factory, provider)
    customer.play(700)
    out = customer.call(f"sip:{TRUNK_USER}@{provider.domain}")
    customer.wait_state(out, "confirmed")
    wait_prompt(customer, out, prompt("voicemail_greeting"), timeout=15)
    customer.wait_heard(1000, out, last_s=0.2)  # the beep
    mwi_before = len(reception.events("mwi"))
    # The customer's tone goes on until the box has recorded two seconds of it.
    wait_until(lambda: recorded_seconds(box, "100") >= 2.0, timeout=10, what="two seconds recorded")
    customer.hangup(out)
    [row] = box.closed_calls(1)
    assert (row["disposition"], row["reason"]) == ("no_answer", "voicemail 100")
    lamp = reception.wait_event("mwi", timeout=5)
    assert "Messages-Waiting: yes" in lamp["body"] and "Voice-Message: 1/0" in lamp["body"]
    assert len(reception.events("mwi")) > mwi_before
    wait_until(lambda: mail, timeout=10, what="the voicemail email")
    email = mail[0]
    assert email["To"] == "reception@office.test"
    assert email["Subject"].startswith("Голосовое сообщение") or "+79161234567" in email["Subject"]
    attachments = [p for p in email.walk() if p.get_content_type() == "audio/wav"]
    assert len(attachments) == 1 and len(attachments[0].get_payload(decode=True)) > 8000

    # The receptionist listens over the phone: PIN, one new message, plays it, deletes it.
    listen = reception.call(f"sip:*97@{box.domain}")
    reception.wait_state(listen, "confirmed")
    wait_prompt(reception, listen, prompt("voicemail_enter_pin"), timeout=10)
    reception.dtmf(listen, "4321#")
    wait_prompt(reception, listen, prompt("voicemail_menu"), timeout=15)
    reception.dtmf(listen, "1")
    reception.wait_heard(700, listen, timeout=10)  # the customer's tone, as recorded
    reception.dtmf(listen, "7")
    wait_prompt(reception, listen, prompt("voicemail_deleted"), timeout=15)
    reception.hangup(listen)
    boxes = Mailboxes(connect(box.home.store), box.home.voicemail_dir)
    assert boxes.messages("100") == []
    assert boxes.counts("100") == (0, 0)


def test_a_greeting_uploaded_on_the_web_is_what_a_caller_reaching_the_mailbox_hears(
    box_factory, provider: Provider, phone_factory
) -> None:
    box = box_factory(extra=office_toml(provider, mode="night"))
    wait_trunk(box, up=True)
    web = WebBox(box.root)
    web.web.accounts.set_password("100", USER_PASSWORD)
    reception = web.signed_in("100")
    sent = reception.post(
        "/me/greeting",
        data={"csrf": inputs(reception.get("/me").text)["csrf"]},
        files={"file": ("greeting.wav", wav(hz=1300, seconds=3.0), "audio/wav")},
    )
    assert sent.status_code == 200, sent.text
    customer = caller(phone_factory, provider)
    out = call_the_office(customer, provider)
    customer.wait_heard(1300, out, timeout=15)  # the uploaded greeting
    customer.wait_heard(1000, out, timeout=10, last_s=0.2)  # then the beep
    assert find_prompt(customer.recorded(out), prompt("voicemail_greeting")) is None
    customer.hangup(out)


def recorded_seconds(box: Box, mailbox: str) -> float:
    """How much audio the box has written for a message being left now."""
    files = sorted((box.home.voicemail_dir / mailbox).glob("*.wav"))
    files = [f for f in files if f.name != "greeting.wav"]
    return (files[-1].stat().st_size - 44) / 16000 if files else 0.0


THIRD = "79031112233"
SUPPORT = """
[[departments]]
number = "700"
name = "Support"
members = ["101"]
step = 4
queue = {{ announce_every = 5, wrap_up = 1, max_wait = 120 }}

[[scenarios]]
name = "support"
steps = [{{ kind = "queue", department = "700" }}]
"""


def test_queue_three_callers_one_member_positions_and_a_callback(
    box_factory, provider_factory, phone_factory
) -> None:
    provider = provider_factory(
        accounts={**ACCOUNTS, THIRD: "Third-Secret-1"},
        dids={TRUNK_USER: TRUNK_USER},
        address="127.0.0.3",
    )
    numbers = trunk_toml(provider, channels=4).replace(
        'destination = "100"', 'scenario = "support"'
    )
    box = box_factory(extra=OFFICE.format(mode="day", strategy="all") + SUPPORT.format() + numbers)
    wait_trunk(box, up=True)
    callers = join_queue(phone_factory, provider, [MOBILE, "74957654321", THIRD])

    third, third_call = callers[2]
    wait_prompt(third, third_call, prompt("queue_still_waiting"), timeout=15)
    third.dtmf(third_call, "1")
    third.wait_state(third_call, "disconnected", timeout=15)
    assert heard_prompt(third.recorded(third_call), prompt("queue_callback_confirmed"))

    [member] = staff(phone_factory, box, "101")  # the member comes in: calls are offered
    member.play(1500)
    for index, (phone, out) in enumerate(callers[:2], start=1):
        offered = member.wait_event("incoming", timeout=10)
        member.answer(offered["call"])
        phone.wait_heard(1500, out)
        member.wait_heard(700 + 100 * index, offered["call"])
        member.hangup(offered["call"])
        phone.wait_state(out, "disconnected")

    back = member.wait_event("incoming", timeout=10)
    assert back["headers"]["alert-info"] == "<urn:alert:service:recall:callback>"
    member.answer(back["call"])
    rung = third.wait_event("incoming", timeout=10)
    third.answer(rung["call"])
    third.wait_heard(1500, rung["call"])
    member.wait_heard(1000, back["call"])
    member.hangup(back["call"])
    third.wait_state(rung["call"], "disconnected")
    report = json.loads(box.cli("report", "scenarios", "--json").stdout)
    [support] = [r for r in report if r["scenario"] == "support"]
    assert support["total"] == 3
    assert support["completed"] == 3  # two answered, one called back
    [queue] = json.loads(box.cli("status", "--json").stdout)["queues"]
    assert (queue["department"], queue["offered"], queue["answered"]) == ("700", 3, 2)


def call_the_office(customer: Phone, provider: Provider) -> int:
    out = customer.call(f"sip:{TRUNK_USER}@{provider.domain}")
    customer.wait_state(out, "confirmed")
    return out


def test_menu_direct_dialing_of_an_extension(box_factory, provider: Provider, phone_factory):
    box = box_factory(extra=office_toml(provider))
    wait_trunk(box, up=True)
    [olga] = staff(phone_factory, box, "102")
    customer = caller(phone_factory, provider)
    out = call_the_office(customer, provider)
    wait_prompt(customer, out, prompt("welcome"), timeout=15)
    customer.dtmf(out, "102")  # during the menu prompt
    incoming = olga.wait_event("incoming", timeout=10)
    olga.answer(incoming["call"])
    olga.wait_state(incoming["call"], "confirmed")
    customer.hangup(out)
    olga.wait_state(incoming["call"], "disconnected")
    report = json.loads(box.cli("report", "scenarios", "--json").stdout)
    [day] = [r for r in report if r["scenario"] == "day"]
    assert (day["total"], day["by_option"], day["completed"]) == (1, {"102": 1}, 1)


@pytest.mark.parametrize("strategy", ["all", "increasing"])
def test_department_ring_strategies_as_configured(
    box_factory, provider: Provider, phone_factory, strategy: str
) -> None:
    box = box_factory(extra=office_toml(provider, strategy=strategy))
    wait_trunk(box, up=True)
    members = staff(phone_factory, box, "101", "102", "103")
    customer = caller(phone_factory, provider)
    out = call_the_office(customer, provider)
    wait_prompt(customer, out, prompt("welcome"), timeout=15)
    customer.dtmf(out, "1")
    rings = [m.wait_event("incoming", timeout=8) for m in members]
    starts = [r["t"] - rings[0]["t"] for r in rings]
    if strategy == "all":
        assert max(starts) - min(starts) < 0.5, starts
    else:
        assert [round(s) for s in starts] == [0, 2, 4], starts  # step = 2 s, nobody stops
        for member, ring in zip(members[:2], rings[:2], strict=True):
            assert not [
                e
                for e in member.events("call_state")
                if e["call"] == ring["call"] and e["state"] == "disconnected"
            ]
    members[2].answer(rings[2]["call"])
    for member, ring in zip(members[:2], rings[:2], strict=True):
        member.wait_state(ring["call"], "disconnected")
    customer.hangup(out)


def test_reception_forces_night_mode_and_releases_it(
    box_factory, provider: Provider, phone_factory
) -> None:
    box = box_factory(
        extra=office_toml(provider),
        extension_keys={"100": ['role = "admin"']},
    )
    wait_trunk(box, up=True)
    reception, ivan = staff(phone_factory, box, "100", "101")
    refused = ivan.call(f"sip:*803@{box.domain}")
    assert ivan.wait_state(refused, "disconnected", timeout=10)["code"] == 403
    forced = reception.call(f"sip:*803@{box.domain}")
    reception.wait_heard(1400, forced)  # the confirmation beeps
    reception.wait_state(forced, "disconnected", timeout=5)
    mode = json.loads(box.cli("status", "--json").stdout)["mode"]
    assert (mode["mode"], mode["override"]["by"]) == ("night", "100")
    assert mode["why"].startswith("forced by 100")

    customer = caller(phone_factory, provider)
    out = call_the_office(customer, provider)
    wait_prompt(customer, out, prompt("voicemail_greeting"), timeout=15)
    customer.hangup(out)

    released = reception.call(f"sip:*800@{box.domain}")
    reception.wait_state(released, "disconnected", timeout=5)
    mode = json.loads(box.cli("status", "--json").stdout)["mode"]
    assert (mode["mode"], mode["why"], mode["override"]) == ("day", "scheduled", None)
    explained = box.cli("explain", "--to", "+7 495 111-00-00", "--json")
    assert explained.returncode == 0, explained.stderr
    assert json.loads(explained.stdout)["mode"] == "day"


def test_a_direct_number_rings_the_mobile_after_forward_after(
    box_factory, provider: Provider, phone_factory
) -> None:
    box = box_factory(
        extra=trunk_toml(provider).replace('destination = "100"', 'destination = "101"'),
        extension_keys={"101": [f'mobile = "+{MOBILE}"', "forward_after = 2"]},
    )
    wait_trunk(box, up=True)
    [ivan] = staff(phone_factory, box, "101")
    mobile = phone_factory("ivan-mobile")
    mobile.register(provider, MOBILE)
    customer = phone_factory("customer")
    customer.register(provider, "74957654321")
    out = customer.call(f"sip:{TRUNK_USER}@{provider.domain}")
    desk = ivan.wait_event("incoming", timeout=5)
    pocket = mobile.wait_event("incoming", timeout=6)
    assert 1.7 <= pocket["t"] - desk["t"] <= 3.0
    mobile.answer(pocket["call"])
    ivan.wait_state(desk["call"], "disconnected")
    customer.wait_state(out, "confirmed")
    customer.hangup(out)
    [row] = box.closed_calls(1)
    assert (row["direction"], row["disposition"]) == ("inbound", "answered")


#: The wrap-up under test: long enough that an offer it should have held back stands out.
WRAP_UP = 3
ONE_MEMBER = """
[[departments]]
number = "700"
name = "Support"
members = ["101"]
step = 4
queue = {{ announce_every = 30, offer_callback = false, wrap_up = {wrap_up}, max_wait = 120 }}

[[scenarios]]
name = "support"
steps = [{{ kind = "queue", department = "700" }}]
"""


def one_member_queue(
    box_factory, provider_factory, phone_factory, callers: list[str]
) -> tuple[Phone, list[tuple[Phone, int]]]:
    """Support 700 with only 101 in it; ``callers`` queue first, then 101 registers."""
    provider = provider_factory(
        accounts={**ACCOUNTS, THIRD: "Third-Secret-1"},
        dids={TRUNK_USER: TRUNK_USER},
        address="127.0.0.3",
    )
    numbers = trunk_toml(provider, channels=4).replace(
        'destination = "100"', 'scenario = "support"'
    )
    queue = ONE_MEMBER.format(wrap_up=WRAP_UP)
    box = box_factory(extra=OFFICE.format(mode="day", strategy="all") + queue + numbers)
    wait_trunk(box, up=True)
    waiting = join_queue(phone_factory, provider, callers)
    [member] = staff(phone_factory, box, "101")
    member.play(1500)
    return member, waiting


def talk_and_hang_up(member: Phone, offered: dict, phone: Phone, out: int, tone: int) -> dict:
    """The member answers, both hear each other, the member hangs up; its disconnected event."""
    member.answer(offered["call"])
    phone.wait_heard(1500, out)
    member.wait_heard(tone, offered["call"])
    member.hangup(offered["call"])
    phone.wait_state(out, "disconnected")
    return member.wait_state(offered["call"], "disconnected")


def test_queue_wrap_up_holds_the_next_caller_back_from_the_member_who_just_hung_up(
    box_factory, provider_factory, phone_factory
) -> None:
    member, callers = one_member_queue(
        box_factory, provider_factory, phone_factory, [MOBILE, "74957654321"]
    )
    (first_phone, first_out), (second_phone, second_out) = callers
    first = member.wait_event("incoming", timeout=10)
    assert first["from_user"].endswith(MOBILE)
    ended = talk_and_hang_up(member, first, first_phone, first_out, 800)

    second = member.wait_event("incoming", timeout=WRAP_UP + 3)
    assert second["from_user"].endswith("74957654321")
    # Not before the wrap-up is over, and soon after it (the queue looks every second).
    assert WRAP_UP - 0.3 <= second["t"] - ended["t"] <= WRAP_UP + 2.0, second["t"] - ended["t"]
    talk_and_hang_up(member, second, second_phone, second_out, 900)


def test_queue_a_caller_who_hangs_up_while_offered_frees_the_member_for_the_next(
    box_factory, provider_factory, phone_factory
) -> None:
    member, callers = one_member_queue(
        box_factory, provider_factory, phone_factory, [MOBILE, "74957654321"]
    )
    (first_phone, first_out), (second_phone, second_out) = callers
    first = member.wait_event("incoming", timeout=10)
    assert first["from_user"].endswith(MOBILE)
    first_phone.hangup(first_out)  # while the member's phone rings
    member.wait_state(first["call"], "disconnected", timeout=5)

    # Never answered, so no wrap-up: the next caller is offered within the queue's next look.
    second = member.wait_event("incoming", timeout=4)
    assert second["from_user"].endswith("74957654321")
    talk_and_hang_up(member, second, second_phone, second_out, 900)


MAX_WAIT = 4
SHORT_QUEUE = f"""
[[departments]]
number = "700"
name = "Support"
members = ["101"]
queue = {{ announce_every = 30, offer_callback = false, max_wait = {MAX_WAIT}, max_length = 1 }}

[[scenarios]]
name = "support"
steps = [{{ kind = "queue", department = "700" }}, {{ kind = "voicemail", mailbox = "100" }}]
"""


def test_queue_full_and_over_time_callers_go_on_to_the_next_step(
    box_factory, provider_factory, phone_factory
) -> None:
    provider = provider_factory(
        accounts=dict(ACCOUNTS), dids={TRUNK_USER: TRUNK_USER}, address="127.0.0.3"
    )
    numbers = trunk_toml(provider, channels=4).replace(
        'destination = "100"', 'scenario = "support"'
    )
    box = box_factory(extra=OFFICE.format(mode="day", strategy="all") + SHORT_QUEUE + numbers)
    wait_trunk(box, up=True)
    [(first, first_out)] = join_queue(phone_factory, provider, [MOBILE])  # nobody answers
    joined = first.events("call_state")
    joined_t = next(e["t"] for e in joined if e["call"] == first_out and e["state"] == "confirmed")

    second = phone_factory("caller2")
    second.register(provider, "74957654321")
    second_out = call_the_office(second, provider)
    wait_prompt(second, second_out, prompt("voicemail_greeting"), timeout=10)  # queue is full
    assert not heard_prompt(second.recorded(second_out), prompt("queue_position"))
    second.hangup(second_out)

    wait_prompt(first, first_out, prompt("voicemail_greeting"), timeout=MAX_WAIT + 10)
    rec = first.recording(first_out)
    started = find_prompt(first.recorded(first_out), prompt("voicemail_greeting"))
    assert started is not None
    moved_after = rec["t"] + started - joined_t
    assert MAX_WAIT - 0.5 <= moved_after <= MAX_WAIT + 2.0, moved_after
    first.hangup(first_out)
