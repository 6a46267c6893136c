"""Voicemail boxes in a real store and directory: messages, counts, PINs, who gets the email."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from firmware.config import Config, parse_config
from firmware.home import Home
from firmware.store import db
from firmware.store.cdr import CallRecords
from firmware.store.voicemail import Mailboxes, message_summary

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)

OFFICE = """\
[system]
sip_domain = "pbx.local"

[[extensions]]
number = "101"
name = "Ivan"
password = "Ivan-Secret-xyz"
email = "ivan@example.com"
voicemail_pin = "2468"

[[extensions]]
number = "102"
name = "Olga"
password = "Olga-Secret-xyz"
email = "olga@example.com"

[[extensions]]
number = "103"
name = "Sergey"
password = "Sergey-Secret-xyz"

[[departments]]
number = "600"
name = "Sales"
members = ["101", "102", "103"]
voicemail_pin = "13579"

[[departments]]
number = "700"
name = "Support"
members = ["103"]
"""


@pytest.fixture
def config() -> Config:
    return parse_config(OFFICE)


@pytest.fixture
def conn(tmp_path: Path) -> sqlite3.Connection:
    return db.connect(tmp_path / "pbx.db")


@pytest.fixture
def boxes(conn: sqlite3.Connection, tmp_path: Path) -> Mailboxes:
    return Mailboxes(conn, Home(tmp_path).voicemail_dir)


def record(
    boxes: Mailboxes, mailbox: str, caller: str, at: datetime, audio: bytes = b"RIFF"
) -> int:
    path = boxes.new_message_path(mailbox)
    path.write_bytes(audio)
    return boxes.add(
        mailbox,
        caller=caller,
        caller_name=None,
        seconds=12.5,
        path=path,
        call_record=None,
        at=at,
    )


def test_messages_are_listed_newest_first_and_counted(boxes: Mailboxes) -> None:
    first = record(boxes, "101", "+79161234567", T0)
    second = record(boxes, "101", "+74951110000", T0 + timedelta(minutes=5))
    record(boxes, "102", "+79160000000", T0)
    assert [m.id for m in boxes.messages("101")] == [second, first]
    assert boxes.counts("101") == (2, 0)
    boxes.mark_heard(first)
    assert boxes.counts("101") == (1, 1)
    assert [m.id for m in boxes.messages("101", include_heard=False)] == [second]
    heard = boxes.messages("101")[1]
    assert (heard.heard, heard.caller, heard.seconds, heard.received_at) == (
        True,
        "+79161234567",
        12.5,
        T0,
    )
    assert boxes.counts("555") == (0, 0)


def test_message_files_are_unique_and_under_the_mailbox(boxes: Mailboxes) -> None:
    paths = {boxes.new_message_path("600") for _ in range(50)}
    assert len(paths) == 50
    assert all(p.parent == boxes.root / "600" and p.suffix == ".wav" for p in paths)
    assert (boxes.root / "600").stat().st_mode & 0o777 == 0o700
    assert boxes.greeting_path("600") == boxes.root / "600" / "greeting.wav"
    assert boxes.greeting_path("600") not in paths


@pytest.mark.parametrize("bad", ["../101", "1", "abc", "101/..", ""])
def test_a_mailbox_that_is_not_a_number_never_becomes_a_path(boxes: Mailboxes, bad: str) -> None:
    with pytest.raises(ValueError, match="not a mailbox number"):
        boxes.new_message_path(bad)
    with pytest.raises(ValueError, match="not a mailbox number"):
        boxes.greeting_path(bad)


def test_delete_hides_the_message_and_removes_its_file(boxes: Mailboxes) -> None:
    kept = record(boxes, "101", "+79161234567", T0)
    gone = record(boxes, "101", "+79161234567", T0 + timedelta(seconds=1))
    path = boxes.message(gone).path
    assert path.exists()
    boxes.delete(gone, at=T0 + timedelta(hours=1))
    assert not path.exists()
    assert [m.id for m in boxes.messages("101")] == [kept]
    assert boxes.counts("101") == (1, 0)
    boxes.delete(gone)  # twice: nothing left to remove, no error


def test_delete_of_a_message_whose_file_is_already_gone(boxes: Mailboxes) -> None:
    message = record(boxes, "101", "+79161234567", T0)
    boxes.message(message).path.unlink()
    boxes.delete(message)
    assert boxes.messages("101") == []


def test_email_outcome_is_recorded(boxes: Mailboxes) -> None:
    message = record(boxes, "101", "+79161234567", T0)
    boxes.record_email(message, "the relay 127.0.0.1:25 refused the connection")
    assert boxes.message(message).email_error == "the relay 127.0.0.1:25 refused the connection"
    assert boxes.message(message).emailed_at is None
    boxes.record_email(message, at=T0 + timedelta(minutes=1))
    sent = boxes.message(message)
    assert (sent.emailed_at, sent.email_error) == (T0 + timedelta(minutes=1), None)


def test_a_message_points_at_its_call_record(boxes: Mailboxes, conn: sqlite3.Connection) -> None:
    call = CallRecords(conn).open(call_id="c1", caller="+79161234567", callee="101", at=T0)
    path = boxes.new_message_path("101")
    message = boxes.add(
        "101",
        caller="+79161234567",
        caller_name="Petrov",
        seconds=3,
        path=path,
        call_record=call,
    )
    assert (boxes.message(message).call_record, boxes.message(message).caller_name) == (
        call,
        "Petrov",
    )


def test_pins_of_extensions_and_departments(config: Config) -> None:
    assert Mailboxes.check_pin(config, "101", "2468")
    assert not Mailboxes.check_pin(config, "101", "2469")
    assert not Mailboxes.check_pin(config, "101", "")
    assert Mailboxes.check_pin(config, "600", "13579")
    assert not Mailboxes.check_pin(config, "600", "2468")


def test_a_mailbox_without_a_pin_cannot_be_opened_by_phone(config: Config) -> None:
    assert not Mailboxes.check_pin(config, "102", "")
    assert not Mailboxes.check_pin(config, "700", "0000")
    assert not Mailboxes.check_pin(config, "555", "2468")


def test_who_gets_the_email(config: Config) -> None:
    assert Mailboxes.mailbox_email(config, "101") == ["ivan@example.com"]
    assert Mailboxes.mailbox_email(config, "103") == []
    assert Mailboxes.mailbox_email(config, "600") == ["ivan@example.com", "olga@example.com"]
    assert Mailboxes.mailbox_email(config, "700") == []
    assert Mailboxes.mailbox_email(config, "555") == []


def test_message_summary_body_is_rfc_3842() -> None:
    assert message_summary(2, 8, "sip:101@pbx.local") == (
        "Messages-Waiting: yes\r\n"
        "Message-Account: sip:101@pbx.local\r\n"
        "Voice-Message: 2/8 (0/0)\r\n"
    )
    assert message_summary(0, 3, "101@pbx.local") == (
        "Messages-Waiting: no\r\nMessage-Account: sip:101@pbx.local\r\nVoice-Message: 0/3 (0/0)\r\n"
    )


def test_a_version_2_store_migrates_to_3_keeping_its_calls(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "MIGRATIONS", db.MIGRATIONS[:2])
    old = db.connect(tmp_path / "pbx.db")
    calls = CallRecords(old)
    first = calls.open(call_id="c1", caller="101", callee="102", at=T0)
    calls.open(call_id="c2", caller="+79161234567", callee="600", direction="inbound", at=T0)
    old.close()
    monkeypatch.undo()

    new = db.connect(tmp_path / "pbx.db")
    assert new.execute("PRAGMA user_version").fetchone()[0] == len(db.MIGRATIONS)
    assert [(r["call_id"], r["direction"]) for r in CallRecords(new).recent()] == [
        ("c2", "inbound"),
        ("c1", "internal"),
    ]
    tables = {r[0] for r in new.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"voicemail", "scenario_passes", "scenario_steps", "box_state", "callbacks"} <= tables
    boxes = Mailboxes(new, tmp_path / "voicemail")
    message = boxes.add(
        "101", caller="102", caller_name=None, seconds=1, path=tmp_path / "x.wav", call_record=first
    )
    assert boxes.message(message).call_record == first
    with pytest.raises(sqlite3.IntegrityError):
        boxes.add(
            "101",
            caller="102",
            caller_name=None,
            seconds=1,
            path=tmp_path / "y.wav",
            call_record=99,
        )
