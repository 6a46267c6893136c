"""An employee's own pages: their calls and voicemail (listen, delete), forwarding to their
mobile, do-not-disturb, and their web password. Every route acts on the signed-in
employee's own extension and mailbox only."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse
from tomlkit import TOMLDocument

from firmware.store.db import connect
from firmware.store.voicemail import Mailboxes, Message
from web_ui.accounts import Viewer, password_problem
from web_ui.context import log, snapshot_or_none, web_of
from web_ui.deps import Employee
from web_ui.forms import Problems, entries, index_of, optional, seconds, text, update
from web_ui.saving import Saved, save

router = APIRouter(prefix="/me")


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
        messages = Mailboxes(conn, web.home.voicemail_dir).messages(number)
    return web.render(
        request,
        "me.html",
        status=status,
        extension=extension,
        version=snapshot.version,
        calls=calls,
        messages=messages,
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
