"""An employee's own pages: voicemail of their own mailbox only, forwarding and DND written
to their own entry of pbx.toml, and their web password."""

from __future__ import annotations

import wave
from pathlib import Path

from firmware.config import load_config
from firmware.store.db import connect
from firmware.store.voicemail import Mailboxes
from tests.support.web import USER, USER_PASSWORD, WebBox, field_errors, inputs, post_form, sign_in


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
