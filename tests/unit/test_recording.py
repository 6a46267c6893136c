"""Call recording: which calls record, the code, and the sweep that keeps the archive in bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from firmware.config import parse_config
from firmware.config.load import number_plan
from firmware.routing.incall import KeepKeying, ParkIn, ToggleRecording, in_call_code
from firmware.routing.outcome import Disposition, Party
from firmware.routing.recording import recorded_because
from firmware.store.cdr import CallEnd, CallRecords
from firmware.store.db import connect
from firmware.store.recordings import RecordingArchive
from tests.unit.test_config import GOOD, problems

OFFICE = (
    GOOD
    + """
[[extensions]]
number = "102"
name = "Olga"
password = "Olga-Secret-xyz"

[[departments]]
number = "600"
name = "Sales"
members = ["101"]

[[trunks]]
name = "city"
kind = "sip"
host = "sip.example.net"
username = "74951110000"
password = "Trunk-Secret-xyz"

[[numbers]]
number = "+7 495 111-00-00"
trunk = "city"
destination = "101"
"""
)
RECORDING = """
[recording]
extensions = ["102"]
departments = ["600"]
numbers = ["8 495 111 00 00"]
"""


def test_the_recording_section_names_what_records() -> None:
    config = parse_config(OFFICE + RECORDING)
    plan = number_plan(config)

    def why(caller: str, answered_by: str, dialed: str, direction: str = "internal") -> object:
        return recorded_because(
            config, plan, caller=caller, answered_by=answered_by, dialed=dialed, direction=direction
        )

    assert why("101", "102", "102") == "extension 102"
    assert why("102", "+74957654321", "+74957654321", "outbound") == "extension 102"
    assert why("101", "101", "600") == "department 600"
    assert why("+74951234567", "101", "+74951110000", "inbound") == "number +74951110000"
    assert why("101", "100", "100") is None
    assert why("+74951234567", "101", "+74952220000", "inbound") is None
    assert (
        recorded_because(
            parse_config(OFFICE), plan, caller="102", answered_by="101", dialed="101", direction="x"
        )
        is None
    )  # nothing listed: nothing recorded


def test_what_the_recording_section_names_must_exist() -> None:
    bad = """
[recording]
extensions = ["105"]
departments = ["601"]
numbers = ["+7 495 999-99-99", "abc"]
code = "*21"
"""
    found = problems(OFFICE + bad)
    assert "pbx.toml:34: recording.extensions[0]: no extension 105" in found
    assert "pbx.toml:35: recording.departments[0]: no department 601" in found
    assert any("recording.numbers[0]: +7 495 999-99-99 is none of [[numbers]]" in p for p in found)
    assert any("recording.numbers[1]:" in p for p in found)
    assert "pbx.toml:37: recording.code: '*21' begins like [dialing] transfer ('*2')" in found
    assert any("recording.keep_days" in p for p in problems(GOOD + "[recording]\nkeep_days = 0\n"))


@pytest.mark.parametrize(
    ("keyed", "complete", "code"),
    [
        ("*", False, KeepKeying()),
        ("*1", False, ToggleRecording()),
        ("*1#", True, ToggleRecording()),
    ],
)
def test_the_recording_code_in_a_call(keyed: str, complete: bool, code: object) -> None:
    assert in_call_code(parse_config(GOOD), keyed, complete=complete) == code


def test_a_moved_recording_code_leaves_the_others_alone() -> None:
    config = parse_config(GOOD + '[recording]\ncode = "*55"\n')
    assert in_call_code(config, "*5", complete=False) == KeepKeying()
    assert in_call_code(config, "*55", complete=False) == ToggleRecording()
    assert in_call_code(config, "*1", complete=True) is None
    assert in_call_code(config, "*7#", complete=True) == ParkIn()


NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ENDED = CallEnd(Disposition.ANSWERED, Party.CALLER, 200)


class Store:
    """Calls with recordings of a given size, started some days before ``NOW``."""

    def __init__(self, root: Path) -> None:
        self.conn = connect(":memory:")
        self.records = CallRecords(self.conn)
        self.started: datetime = NOW
        self.archive = RecordingArchive(self.conn, root / "recordings", clock=lambda: self.started)

    def recorded_call(self, days_ago: float, size: int, *, ended: bool = True) -> int:
        self.started = NOW - timedelta(days=days_ago)
        record = self.records.open(call_id="c", caller="101", callee="102", at=self.started)
        self.archive.new_file(record).write_bytes(b"\0" * size)
        if ended:
            self.records.close(record, ENDED, at=self.started + timedelta(minutes=1))
        self.started = NOW
        return record

    def row(self, record: int) -> dict[str, object]:
        return next(r for r in self.records.recent(100) if r["id"] == record)


def test_a_recording_is_linked_from_its_call_record(tmp_path: Path) -> None:
    store = Store(tmp_path)
    record = store.recorded_call(0, 10)
    assert store.row(record)["recording"] == f"2026-06-01/call-{record}.wav"
    assert (
        store.archive.path(record) == tmp_path / "recordings" / "2026-06-01" / f"call-{record}.wav"
    )


def test_recordings_past_their_days_are_deleted_and_the_record_says_why(tmp_path: Path) -> None:
    store = Store(tmp_path)
    old = store.recorded_call(31, 10)
    recent = store.recorded_call(29, 10)
    old_path, recent_path = store.archive.path(old), store.archive.path(recent)
    removed = store.archive.sweep(keep_days=30, max_bytes=10**6)
    assert [(r.record, r.why) for r in removed] == [(old, "retention")]
    assert old_path is not None and not old_path.exists()
    assert recent_path is not None and recent_path.exists()
    assert (store.row(old)["recording"], store.row(old)["recording_removed"]) == (None, "retention")
    assert store.row(recent)["recording"] is not None
    assert store.archive.sweep(keep_days=30, max_bytes=10**6) == []  # nothing more to do


def test_over_the_size_cap_the_oldest_go_first_but_never_a_call_under_way(tmp_path: Path) -> None:
    store = Store(tmp_path)
    first = store.recorded_call(3, 400)
    second = store.recorded_call(2, 400)
    third = store.recorded_call(1, 400)
    live = store.recorded_call(5, 400, ended=False)  # oldest, but still being written
    removed = store.archive.sweep(keep_days=30, max_bytes=1000)
    assert [(r.record, r.why) for r in removed] == [(first, "size_cap"), (second, "size_cap")]
    assert store.row(second)["recording_removed"] == "size_cap"
    assert [store.row(r)["recording"] is not None for r in (third, live)] == [True, True]
    kept = sum(p.stat().st_size for p in (tmp_path / "recordings").rglob("*.wav"))
    assert kept == 800
