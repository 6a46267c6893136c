"""Leaving a message on fake legs: the greeting, the beep, the caller's words into the
mailbox, the lamp of its phone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from firmware.config import parse_config
from firmware.engine.features.voicemail.states import MailboxAccess
from firmware.routing.toneplans import Tone
from firmware.store.voicemail import message_summary
from tests.support.inbound_office import InboundOffice, WavRecorder
from tests.unit.offices import IVAN

OFFICE = (
    '[system]\nsip_domain = "pbx.local"\nregion = "RU"\narea_code = "495"\n\n'
    + IVAN
    + """
[voicemail]
max_seconds = 60

[[scenarios]]
name = "closed"
steps = [{ kind = "voicemail", mailbox = "101" }]
"""
)
CUSTOMER = "+79161234567"
PIN = 'password = "Ivan-Secret-xyz"\nvoicemail_pin = "2468"'


@pytest.fixture
def inbound(tmp_path: Path) -> Iterator[InboundOffice]:
    office = InboundOffice(parse_config(OFFICE), tmp_path)
    yield office
    office.close()


def recording(inbound: InboundOffice) -> tuple:
    """The caller hears the greeting to the end, then the beep; then they are recorded."""
    office = inbound.office
    call, customer, _ = inbound.arrives(CUSTOMER, "closed")
    assert (call.state.name, customer.sent) == ("voicemail", ["respond 200"])
    office.after(0.3)
    [(names, audio, _)] = office.prompts.playing
    assert (names, audio) == (["voicemail_greeting"], customer.audio)
    assert not any(isinstance(sink, WavRecorder) for sink in customer.audio.sinks)
    office.prompts.done()
    beep = office.tones[-1]
    assert (beep.tone, beep.heard_by) == (Tone.BEEP, [customer.audio])
    office.after(0.5)
    assert beep.closed
    [recorder] = [sink for sink in customer.audio.sinks if isinstance(sink, WavRecorder)]
    assert recorder.path.parent == inbound.voicemail.mailboxes.greeting_path("101").parent
    return call, customer, recorder


def test_a_message_left_after_the_greeting_is_in_the_mailbox_and_lights_the_lamp(
    inbound: InboundOffice,
) -> None:
    office = inbound.office
    call, customer, recorder = recording(inbound)
    office.after(12.0)  # the caller speaks
    customer.keys("#")
    [message] = inbound.voicemail.mailboxes.messages("101")
    assert (message.caller, message.seconds, message.path) == (CUSTOMER, 12.0, recorder.path)
    assert recorder.path.exists()
    assert inbound.notified == [("101", message_summary(1, 0, "sip:101@pbx.local"))]
    [(names, _, _)] = office.prompts.playing
    assert names == ["goodbye"]
    office.prompts.done()
    office.after(0.3)
    assert "end" not in customer.sent  # the last word is still on its way
    office.after(0.2)
    assert customer.sent[-1] == "end"
    record = office.record(call)
    assert (record["disposition"], record["hangup_by"], record["reason"]) == (
        "no_answer",
        "caller",
        "voicemail 101",
    )


def test_a_message_is_cut_at_the_longest_allowed(inbound: InboundOffice) -> None:
    call, customer, _ = recording(inbound)
    inbound.office.after(59.9)
    assert inbound.voicemail.mailboxes.messages("101") == []
    inbound.office.after(0.2)  # [voicemail] max_seconds
    [message] = inbound.voicemail.mailboxes.messages("101")
    assert message.seconds == 60.1  # as long as the time the limit took to run out
    assert inbound.office.prompts.playing[-1][0] == ["goodbye"]
    assert (call.state.name, customer.sent[-1]) == ("voicemail", "respond 200")  # bye first


def test_a_caller_hanging_up_at_the_beep_leaves_no_message(inbound: InboundOffice) -> None:
    call, customer, recorder = recording(inbound)
    inbound.office.after(0.5)
    customer.hangs_up()
    assert inbound.voicemail.mailboxes.messages("101") == []
    assert not recorder.path.exists()
    assert inbound.notified == []
    assert inbound.office.record(call)["hangup_by"] == "caller"


def test_the_owner_opens_the_mailbox_with_the_pin_listens_and_deletes(tmp_path: Path) -> None:
    config = parse_config(OFFICE.replace('password = "Ivan-Secret-xyz"', PIN))
    inbound = InboundOffice(config, tmp_path)
    office, boxes = inbound.office, inbound.voicemail.mailboxes
    kept = boxes.new_message_path("101")
    WavRecorder(kept)
    boxes.add("101", caller=CUSTOMER, caller_name=None, seconds=7.0, path=kept, call_record=None)
    call, ivan = office.call("101", "*97")
    call.start(MailboxAccess(inbound.voicemail, "101", config))
    office.after(0.3)

    def heard() -> list[str | Path]:
        names, audio, _ = office.prompts.playing[-1]
        assert audio is ivan.audio
        return names

    assert heard() == ["voicemail_enter_pin"]
    ivan.keys("1111#")
    assert heard() == ["voicemail_wrong_pin", "voicemail_enter_pin"]
    ivan.keys("2468#")
    assert heard() == ["voicemail_you_have", "num_1", "voicemail_new_messages", "voicemail_menu"]
    ivan.keys("1")
    assert heard() == [kept]  # the message itself
    office.prompts.done()
    assert inbound.notified == [("101", message_summary(0, 1, "sip:101@pbx.local"))]
    assert heard() == ["voicemail_menu"]
    ivan.keys("7")
    assert heard() == ["voicemail_deleted", "voicemail_menu"]
    assert boxes.messages("101") == []
    assert inbound.notified[-1] == ("101", message_summary(0, 0, "sip:101@pbx.local"))
    ivan.keys("#")
    assert heard() == ["goodbye"]
    office.prompts.done()
    office.after(0.4)
    assert ivan.sent[-1] == "end"
    record = office.record(call)
    assert (record["disposition"], record["reason"]) == ("answered", "mailbox 101")
    inbound.close()


def test_three_wrong_pins_say_goodbye_and_open_nothing(tmp_path: Path) -> None:
    config = parse_config(OFFICE.replace('password = "Ivan-Secret-xyz"', PIN))
    inbound = InboundOffice(config, tmp_path)
    call, ivan = inbound.office.call("101", "*97")
    call.start(MailboxAccess(inbound.voicemail, "101", config))
    inbound.office.after(0.3)
    ivan.keys("1111#2222#")
    assert inbound.office.prompts.playing[-1][0] == ["voicemail_wrong_pin", "voicemail_enter_pin"]
    ivan.keys("3333#")
    assert inbound.office.prompts.playing[-1][0] == ["voicemail_wrong_pin", "goodbye"]
    ivan.keys("2468#")  # too late: the box is saying goodbye
    assert inbound.office.prompts.playing[-1][0] == ["voicemail_wrong_pin", "goodbye"]
    inbound.office.prompts.done()
    inbound.office.after(0.4)
    assert ivan.sent[-1] == "end"
    inbound.close()


def test_a_pin_not_keyed_within_ten_seconds_says_goodbye(tmp_path: Path) -> None:
    config = parse_config(OFFICE.replace('password = "Ivan-Secret-xyz"', PIN))
    inbound = InboundOffice(config, tmp_path)
    call, _ = inbound.office.call("101", "*97")
    call.start(MailboxAccess(inbound.voicemail, "101", config))
    inbound.office.after(9.9)
    assert inbound.office.prompts.playing[-1][0] == ["voicemail_enter_pin"]
    inbound.office.after(0.2)
    assert inbound.office.prompts.playing[-1][0] == ["goodbye"]
    inbound.close()
