"""An employee's own pages: voicemail and the voicemail greeting of their own mailbox only,
forwarding and DND written to their own entry of pbx.toml, and their web password."""

from __future__ import annotations

import stat
import wave
from pathlib import Path

from fastapi.testclient import TestClient
from httpx import Response

from firmware.config import load_config
from firmware.store.db import connect
from firmware.store.voicemail import Mailboxes
from tests.support.web import (
    USER,
    USER_PASSWORD,
    WebBox,
    field_errors,
    inputs,
    post_form,
    sign_in,
    wav,
)


def leave_message(box: WebBox, mailbox: str, caller: str) -> tuple[int, Path]:
    conn = connect(box.home.store)
    mailboxes = Mailboxes(conn, box.home.voicemail_dir)
    path = mailboxes.new_message_path(mailbox)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x01\x02" * 8000)
    message = mailboxes.add(
        mailbox, caller=caller, caller_name=None, seconds=1.0, path=path, call_record=None
    )
    conn.close()
    return message, path


def test_an_employee_hears_and_deletes_only_their_own_voicemail(box: WebBox) -> None:
    own, own_path = leave_message(box, USER, "+79161234567")
    other, other_path = leave_message(box, "101", "+79162222222")
    olga = box.signed_in(USER)
    page = olga.get("/me").text
    assert f'data-message="{own}"' in page and f'data-message="{other}"' not in page
    assert "+79161234567" in page and "+79162222222" not in page
    heard = olga.get(f"/me/voicemail/{own}")
    assert heard.headers["content-type"] == "audio/wav"
    assert heard.content == own_path.read_bytes()
    assert olga.get(f"/me/voicemail/{other}").status_code == 404
    csrf = inputs(page)["csrf"]
    assert olga.post(f"/me/voicemail/{other}/delete", data={"csrf": csrf}).status_code == 404
    assert other_path.exists()
    deleted = olga.post(f"/me/voicemail/{own}/delete", data={"csrf": csrf})
    assert deleted.status_code == 200 and "Message deleted" in deleted.text
    assert not own_path.exists()
    assert f'data-message="{own}"' not in olga.get("/me").text


def test_forwarding_and_dnd_change_only_the_employees_own_entry(box: WebBox) -> None:
    olga = box.signed_in(USER)
    before = load_config(box.home.config)
    page = post_form(
        olga, "/me", "/me/forwarding", {"mobile": "+79165550000", "forward_after": "7", "dnd": "on"}
    )
    assert page.status_code == 200, page.text
    after = load_config(box.home.config)
    mine = after.extension(USER)
    assert mine is not None and (mine.mobile, mine.forward_after, mine.dnd) == (
        "+79165550000",
        7,
        True,
    )
    assert [e for e in after.extensions if e.number != USER] == [
        e for e in before.extensions if e.number != USER
    ]
    bad = post_form(olga, "/me", "/me/forwarding", {"mobile": "mine", "forward_after": "0"})
    assert bad.status_code == 422
    errors = field_errors(bad.text)
    assert any(f == "mobile" and "does not match" in m for f, m in errors)
    assert any(f == "forward_after" and "greater than 0" in m for f, m in errors)
    assert load_config(box.home.config).extension(USER) == mine


def test_an_employee_changes_their_web_password(box: WebBox) -> None:
    olga = box.signed_in(USER)
    csrf = inputs(olga.get("/me").text)["csrf"]
    new = "Olga-new-web-pass-7"
    cases = [
        ({"current": "guess", "new": new, "again": new}, "current"),
        ({"current": USER_PASSWORD, "new": new, "again": new + "x"}, "again"),
        ({"current": USER_PASSWORD, "new": "short", "again": "short"}, "new"),
    ]
    for data, field in cases:
        refused = olga.post("/me/password", data={"csrf": csrf, **data})
        assert refused.status_code == 422
        assert [f for f, _ in field_errors(refused.text)] == [field]
    changed = olga.post(
        "/me/password", data={"csrf": csrf, "current": USER_PASSWORD, "new": new, "again": new}
    )
    assert "was changed" in changed.text
    assert sign_in(box.client(), USER, USER_PASSWORD).status_code == 401
    assert sign_in(box.client(), USER, new).status_code == 303


def test_the_admin_account_has_no_self_service_pages(box: WebBox) -> None:
    assert box.signed_in("admin").get("/me").status_code == 403


def send_greeting(client: TestClient, filename: str, data: bytes) -> Response:
    csrf = inputs(client.get("/me").text)["csrf"]
    return client.post(
        "/me/greeting", data={"csrf": csrf}, files={"file": (filename, data, "audio/wav")}
    )


def reset_greeting(client: TestClient) -> Response:
    return client.post("/me/greeting/reset", data={"csrf": inputs(client.get("/me").text)["csrf"]})


def standard_greeting(box: WebBox) -> bytes:
    language = load_config(box.home.config).system.language
    return box.web.config_file.prompts.path("voicemail_greeting", language).read_bytes()


def test_an_employee_uploads_listens_to_and_resets_their_greeting(box: WebBox) -> None:
    olga = box.signed_in(USER)
    assert 'data-greeting="standard"' in olga.get("/me").text
    before = olga.get("/me/greeting.wav")
    assert before.headers["content-type"] == "audio/wav"
    assert before.content == standard_greeting(box)
    recording = wav(hz=600)
    done = send_greeting(olga, "my-greeting.wav", recording)
    assert done.status_code == 200, done.text
    assert "Greeting replaced" in done.text and 'data-greeting="own"' in done.text
    placed = box.home.voicemail_dir / USER / "greeting.wav"
    assert placed.read_bytes() == recording
    assert stat.S_IMODE(placed.stat().st_mode) == 0o600
    assert [p.name for p in placed.parent.iterdir()] == ["greeting.wav"], "no leftovers"
    assert olga.get("/me/greeting.wav").content == recording
    back = reset_greeting(olga)
    assert back.status_code == 200 and 'data-greeting="standard"' in back.text
    assert not placed.exists()
    assert olga.get("/me/greeting.wav").content == standard_greeting(box)


def test_an_unplayable_greeting_is_refused_with_the_fix_and_the_greeting_stays(
    box: WebBox,
) -> None:
    olga = box.signed_in(USER)
    good = wav(hz=600)
    assert send_greeting(olga, "greeting.wav", good).status_code == 200
    placed = box.home.voicemail_dir / USER / "greeting.wav"
    cases = {
        "hifi.wav": (
            wav(rate=44100, channels=2),
            "hifi.wav: stereo, 44.1 kHz; the box plays 8 kHz",
        ),
        "song.mp3": (b"ID3\x03" + bytes(200), "song.mp3: not a WAV file"),
        "": (good, "choose a WAV file to upload"),
    }
    for filename, (data, message) in cases.items():
        refused = send_greeting(olga, filename, data)
        assert refused.status_code == 422
        [(where, why)] = field_errors(refused.text)
        assert where == "greeting" and why.startswith("Not replaced: ") and message in why, why
        if filename:
            assert f"sox {filename} -r 8000 -c 1 -b 16" in why, why
        assert placed.read_bytes() == good
        assert [p.name for p in placed.parent.iterdir()] == ["greeting.wav"]
    assert olga.get("/me/greeting.wav").content == good


def test_an_employee_reaches_only_their_own_greeting(box: WebBox) -> None:
    box.web.accounts.set_password("101", USER_PASSWORD)
    ivan, olga = box.signed_in("101"), box.signed_in(USER)
    ivans, olgas = wav(hz=700), wav(hz=600)
    assert send_greeting(ivan, "ivan.wav", ivans).status_code == 200
    assert olga.get("/me/greeting.wav").content == standard_greeting(box)
    assert send_greeting(olga, "olga.wav", olgas).status_code == 200
    assert reset_greeting(olga).status_code == 200
    assert (box.home.voicemail_dir / "101" / "greeting.wav").read_bytes() == ivans
    assert ivan.get("/me/greeting.wav").content == ivans
    admin = box.signed_in("admin")
    assert admin.get("/me/greeting.wav").status_code == 403
    csrf = inputs(admin.get("/setup/prompts").text)["csrf"]
    for action in ("/me/greeting", "/me/greeting/reset"):
        assert admin.post(action, data={"csrf": csrf}).status_code == 403
    assert (box.home.voicemail_dir / "101" / "greeting.wav").read_bytes() == ivans


def test_greeting_changes_need_the_forms_csrf_token(box: WebBox) -> None:
    olga = box.signed_in(USER)
    good = wav(hz=600)
    assert send_greeting(olga, "greeting.wav", good).status_code == 200
    placed = box.home.voicemail_dir / USER / "greeting.wav"
    for token in ({}, {"csrf": "forged"}):
        upload = olga.post(
            "/me/greeting", data=token, files={"file": ("other.wav", wav(hz=900), "audio/wav")}
        )
        assert upload.status_code == 403
        assert olga.post("/me/greeting/reset", data=token).status_code == 403
        assert placed.read_bytes() == good
