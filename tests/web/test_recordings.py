"""Call recordings in the history: a player where the call record links one, and the file
only for admins or for the employee whose call it was."""

from __future__ import annotations

import wave
from datetime import UTC, datetime, timedelta

from firmware.routing.outcome import Disposition
from firmware.store.cdr import CallEnd, CallRecords
from firmware.store.db import connect
from firmware.store.recordings import RecordingArchive
from tests.support.web import USER, WebBox

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def recorded_call(box: WebBox, caller: str, callee: str, *, at: datetime = T0) -> tuple[int, bytes]:
    """A finished call between two extensions, answered by the callee, with its recording."""
    conn = connect(box.home.store)
    records = CallRecords(conn)
    record = records.open(
        call_id=f"{caller}-{callee}-{at}",
        caller=caller,
        callee=callee,
        dialed=callee,
        direction="internal",
        at=at,
    )
    records.answered(record, callee, at=at)
    path = RecordingArchive(conn, box.home.recordings_dir, clock=lambda: at).new_file(record)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(bytes([record % 256, 1]) * 8000)
    records.close(
        record, CallEnd(Disposition.ANSWERED, "caller", 200, ""), at=at + timedelta(minutes=1)
    )  # type: ignore[arg-type]
    conn.close()
    return record, path.read_bytes()


def test_an_admin_hears_any_recording_from_the_calls_page(box: WebBox) -> None:
    record, audio = recorded_call(box, "101", "103")
    admin = box.signed_in("admin")
    assert f'data-recorded="{record}"' in admin.get("/reports/calls").text
    page = admin.get(f"/reports/calls/{record}").text
    assert f'<audio controls preload="none" src="/recordings/{record}.wav"></audio>' in page
    heard = admin.get(f"/recordings/{record}.wav")
    assert heard.status_code == 200 and heard.headers["content-type"] == "audio/wav"
    assert heard.content == audio


def test_an_employee_hears_only_the_recordings_of_their_own_calls(box: WebBox) -> None:
    own, audio = recorded_call(box, USER, "101")
    other, _ = recorded_call(box, "101", "103")
    olga = box.signed_in(USER)
    page = olga.get("/me").text
    assert f'data-recording="{own}"' in page and f'data-recording="{other}"' not in page
    assert olga.get(f"/recordings/{own}.wav").content == audio
    refused = olga.get(f"/recordings/{other}.wav")
    assert refused.status_code == 404 and refused.headers["content-type"].startswith("text/html")
    assert olga.get("/recordings/99999.wav").status_code == 404
    stranger = box.client().get(f"/recordings/{own}.wav")
    assert stranger.status_code == 303 and stranger.headers["location"] == "/login"


def test_a_recording_removed_by_the_sweep_says_why(box: WebBox) -> None:
    record, _ = recorded_call(box, "101", "103")
    conn = connect(box.home.store)
    later = T0 + timedelta(days=91)
    RecordingArchive(conn, box.home.recordings_dir, clock=lambda: later).sweep(
        keep_days=90, max_bytes=10**9
    )
    conn.close()
    admin = box.signed_in("admin")
    assert "The recording was removed (retention)" in admin.get(f"/reports/calls/{record}").text
    gone = admin.get(f"/recordings/{record}.wav")
    assert gone.status_code == 404 and "recording was removed (retention)" in gone.text
