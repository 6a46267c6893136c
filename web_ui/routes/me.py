"""An employee's own pages: their calls and voicemail (listen, delete), their voicemail
greeting (listen, upload, back to the standard one), forwarding to their mobile,
do-not-disturb, and their web password. Every route acts on the signed-in employee's own
extension and mailbox only: no route takes a mailbox or extension number."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse
from tomlkit import TOMLDocument

from firmware.prompts.library import PromptMissing
from firmware.store.db import connect
from firmware.store.voicemail import Mailboxes, Message
from web_ui.accounts import Viewer, password_problem
from web_ui.context import log, snapshot_or_none, web_of
from web_ui.deps import Employee
from web_ui.forms import Problems, entries, index_of, optional, seconds, text, update
from web_ui.saving import Saved, save
from web_ui.uploads import place_recording, sent_recording

router = APIRouter(prefix="/me")

#: The prompt a mailbox without its own recording greets callers with (as the engine plays).
STANDARD_GREETING = "voicemail_greeting"
#: Browsers must not keep an old greeting after it was replaced.
NO_STORE = {"Cache-Control": "no-store"}


@contextmanager
def _store(request: Request) -> Iterator[sqlite3.Connection]:
    conn = connect(web_of(request).home.store)
    try:
        yield conn
    finally:
        conn.close()


def _page(
    request: Request,
    viewer: Viewer,
    *,
    problems: Problems | None = None,
    status: int = 200,
    flash: str | None = None,
) -> Any:
    web = web_of(request)
    snapshot = snapshot_or_none(request)
    if snapshot is None:
        return web.render(request, "broken.html", status=409)
    number = str(viewer.extension)
    extension = snapshot.config.extension(number)
    with _store(request) as conn:
        calls = [
            dict(r)
            for r in conn.execute(
                "SELECT * FROM calls WHERE caller = :me OR callee = :me OR answered_by = :me "
                "OR transferred_to = :me ORDER BY started_at DESC, id DESC LIMIT 50",
                {"me": number},
            )
        ]
        mailboxes = Mailboxes(conn, web.home.voicemail_dir)
        messages = mailboxes.messages(number)
        own_greeting = mailboxes.greeting_path(number).exists()
    return web.render(
        request,
        "me.html",
        status=status,
        extension=extension,
        version=snapshot.version,
        calls=calls,
        messages=messages,
        own_greeting=own_greeting,
        problems=problems or Problems(),
        flash=flash,
    )


@router.get("")
def me(request: Request, viewer: Employee) -> Any:
    return _page(request, viewer)


def _own_message(
    request: Request, viewer: Viewer, conn: sqlite3.Connection, message: int
) -> tuple[Mailboxes, Message]:
    mailboxes = Mailboxes(conn, web_of(request).home.voicemail_dir)
    found = mailboxes.message(message)
    if found is None or found.mailbox != viewer.extension or not found.path.exists():
        raise HTTPException(404, "no such message in your mailbox")
    return mailboxes, found


@router.get("/voicemail/{message}")
def listen(request: Request, message: int, viewer: Employee) -> FileResponse:
    with _store(request) as conn:
        mailboxes, found = _own_message(request, viewer, conn, message)
        mailboxes.mark_heard(found.id)
    return FileResponse(found.path, media_type="audio/wav")


@router.post("/voicemail/{message}/delete")
def delete(request: Request, message: int, viewer: Employee) -> Any:
    with _store(request) as conn:
        mailboxes, found = _own_message(request, viewer, conn, message)
        mailboxes.delete(found.id)
    log.info("web: %s deleted voicemail %d", viewer.login, message)
    return _page(request, viewer, flash="Message deleted.")


def _greeting_path(request: Request, viewer: Viewer) -> Path:
    with _store(request) as conn:
        return Mailboxes(conn, web_of(request).home.voicemail_dir).greeting_path(
            str(viewer.extension)
        )


@router.get("/greeting.wav")
def greeting(request: Request, viewer: Employee) -> FileResponse:
    """What a caller reaching the employee's voicemail hears: their recording, else the
    standard greeting in the box's language."""
    own = _greeting_path(request, viewer)
    if own.exists():
        return FileResponse(own, media_type="audio/wav", headers=NO_STORE)
    snapshot = snapshot_or_none(request)
    if snapshot is None:
        raise HTTPException(409, "pbx.toml is broken: the box's language is unknown")
    try:
        path = web_of(request).config_file.prompts.path(
            STANDARD_GREETING, snapshot.config.system.language
        )
    except PromptMissing as exc:
        raise HTTPException(404, str(exc)) from None
    return FileResponse(path, media_type="audio/wav", headers=NO_STORE)


@router.post("/greeting")
async def upload_greeting(request: Request, viewer: Employee) -> Any:
    """Replaces the greeting, checked as installer prompts are; a file the engine cannot
    play is refused with the reason and the sox line, and the greeting in place stays."""
    form = await request.form()
    sent = await sent_recording(form, "a greeting")
    if isinstance(sent, str):
        return _greeting_refused(request, viewer, sent)
    target = _greeting_path(request, viewer)
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    problem = place_recording(target, sent)
    if problem is not None:
        return _greeting_refused(request, viewer, problem)
    log.info("web: %s uploaded a voicemail greeting", viewer.login)
    return _page(
        request, viewer, flash="Greeting replaced: callers reaching your voicemail hear it."
    )


def _greeting_refused(request: Request, viewer: Viewer, problem: str) -> Any:
    problems = Problems()
    problems.add("greeting", f"Not replaced: {problem}")
    return _page(request, viewer, problems=problems, status=422)


@router.post("/greeting/reset")
def reset_greeting(request: Request, viewer: Employee) -> Any:
    _greeting_path(request, viewer).unlink(missing_ok=True)
    log.info("web: %s went back to the standard voicemail greeting", viewer.login)
    return _page(
        request, viewer, flash="Callers reaching your voicemail hear the standard greeting."
    )


@router.post("/forwarding")
async def forwarding(request: Request, viewer: Employee) -> Any:
    web = web_of(request)
    form = await request.form()
    problems = Problems()
    values = {
        "mobile": optional(form, "mobile"),
        "forward_after": seconds(form, "forward_after", problems),
        "dnd": True if form.get("dnd") == "on" else None,
    }
    snapshot = snapshot_or_none(request)
    if problems or snapshot is None:
        return _page(request, viewer, problems=problems, status=422)
    number = str(viewer.extension)
    at = [e.number for e in snapshot.config.extensions].index(number)

    def edit(document: TOMLDocument) -> None:
        index = index_of(document, "extensions", "number", number)
        if index is None:
            raise HTTPException(404, "your extension is gone from pbx.toml")
        update(entries(document, "extensions")[index], values)

    result = save(
        web,
        viewer,
        version=text(form, "version"),
        edit=edit,
        prefix=f"extensions[{at}]",
        what=f"forwarding and DND of {number}",
    )
    if not isinstance(result, Saved):
        return _page(request, viewer, problems=result, status=422)
    return _page(request, viewer, flash=result.note)


@router.post("/password")
async def password(request: Request, viewer: Employee) -> Any:
    web = web_of(request)
    form = await request.form()
    problems = Problems()
    current, new, again = (str(form.get(k, "")) for k in ("current", "new", "again"))
    if not web.accounts.check(viewer.login, current):
        problems.add("current", "this is not your current password")
    elif new != again:
        problems.add("again", "the two new passwords differ")
    elif (why := password_problem(new, viewer.login)) is not None:
        problems.add("new", why)
    if problems:
        return _page(request, viewer, problems=problems, status=422)
    web.accounts.set_password(viewer.login, new)
    log.info("web: %s changed their web password", viewer.login)
    return _page(request, viewer, flash="Your web password was changed.")
