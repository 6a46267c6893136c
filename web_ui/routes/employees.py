"""Set-up step 1: employees. Each one an [[extensions]] entry; the SIP password is
generated on the box and shown once, and a web password can be handed out the same way."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from fastapi import APIRouter, HTTPException, Request
from starlette.datastructures import FormData
from tomlkit import TOMLDocument, inline_table

from firmware.config.sample import strong_password as new_sip_password
from firmware.config.schema import NUMBER_CLASSES, Config, Extension
from web_ui.accounts import new_password
from web_ui.context import snapshot_or_none, web_of
from web_ui.credentials import mail_credentials
from web_ui.deps import Admin
from web_ui.forms import (
    Problems,
    append_entry,
    choices,
    entries,
    index_of,
    optional,
    seconds,
    text,
    update,
)
from web_ui.saving import Saved, remove_entry, save

router = APIRouter(prefix="/setup/employees")

FIELDS = ("number", "name", "role", "email", "mobile", "forward_after", "device")


def _shown(extension: Extension | None, config: Config) -> dict[str, Any]:
    """An employee as the form shows it: every value but the password."""
    if extension is None:
        outbound = config.outbound
        return {"role": "user", "device": "sip", "allow": outbound.allow, "trunks": outbound.trunks}
    outbound = config.outbound_for(extension)
    shown: dict[str, Any] = {k: getattr(extension, k) for k in FIELDS}
    shown.update(allow=outbound.allow, trunks=outbound.trunks)
    if extension.forward_after is not None:
        shown["forward_after"] = f"{extension.forward_after:g}"
    return {k: ("" if v is None else v) for k, v in shown.items()}


def _read(form: FormData, problems: Problems) -> dict[str, Any]:
    values: dict[str, Any] = {k: optional(form, k) for k in FIELDS}
    values["forward_after"] = seconds(form, "forward_after", problems)
    return values


def _outbound(config: Config, form: FormData) -> dict[str, Any] | None:
    """The extension's own ``outbound`` when it differs from the box's [outbound]."""
    allow = [c for c in NUMBER_CLASSES if c in choices(form, "allow")]
    trunks = [t.name for t in config.trunks if t.name in choices(form, "trunks")]
    if allow == list(config.outbound.allow) and trunks == list(config.outbound.trunks):
        return None
    return {"allow": allow, "trunks": trunks}


def _page(
    request: Request,
    *,
    values: dict[str, Any] | None = None,
    problems: Problems | None = None,
    status: int = 200,
    flash: str | None = None,
    shown_once: dict[str, str] | None = None,
    editing: str | None = None,
) -> Any:
    web = web_of(request)
    snapshot = snapshot_or_none(request)
    if snapshot is None:
        return web.render(request, "broken.html", status=409)
    config = snapshot.config
    editing_extension = config.extension(editing) if editing else None
    if editing and editing_extension is None:
        raise HTTPException(404, f"no employee with extension {editing}")
    return web.render(
        request,
        "employees.html",
        status=status,
        config=config,
        version=snapshot.version,
        values=values if values is not None else _shown(editing_extension, config),
        problems=problems or Problems(),
        flash=flash,
        shown_once=shown_once,
        editing=editing,
        number_classes=NUMBER_CLASSES,
        web_logins={e.number for e in config.extensions if web.accounts.has_password(e.number)},
    )


@router.get("")
def employees(request: Request, viewer: Admin) -> Any:
    return _page(request)


@router.get("/{number}")
def employee(request: Request, number: str, viewer: Admin) -> Any:
    return _page(request, editing=number)


@router.post("")
async def add_employee(request: Request, viewer: Admin) -> Any:
    return await _store(request, viewer, editing=None)


@router.post("/{number}")
async def change_employee(request: Request, number: str, viewer: Admin) -> Any:
    return await _store(request, viewer, editing=number)


async def _store(request: Request, viewer: Admin, *, editing: str | None) -> Any:
    web = web_of(request)
    form = await request.form()
    problems = Problems()
    values = _read(form, problems)
    shown: dict[str, Any] = {k: text(form, k) for k in FIELDS}
    shown.update(allow=choices(form, "allow"), trunks=choices(form, "trunks"))
    snapshot = snapshot_or_none(request)
    if problems or snapshot is None:
        return _page(request, values=shown, problems=problems, status=422, editing=editing)
    outbound = _outbound(snapshot.config, form)
    password = new_sip_password() if editing is None else None

    def edit(document: TOMLDocument) -> None:
        table = entries(document, "extensions")
        index = index_of(document, "extensions", "number", editing) if editing else None
        if editing is not None and index is None:
            raise HTTPException(404, f"no employee with extension {editing}")
        own = inline_table()
        if outbound is not None:
            own.update(outbound)
        if index is None:
            append_entry(table, {**values, "password": password, "outbound": own or None})
        else:
            update(table[index], {**values, "outbound": own or None})

    with_index = (
        len(snapshot.config.extensions)
        if editing is None
        else next(i for i, e in enumerate(snapshot.config.extensions) if e.number == editing)
    )
    result = save(
        web,
        viewer,
        version=text(form, "version"),
        edit=edit,
        prefix=f"extensions[{with_index}]",
        what=f"employee {values['number']} ({values['name']})",
    )
    if not isinstance(result, Saved):
        return _page(request, values=shown, problems=result, status=422, editing=editing)
    number = str(values["number"])
    if editing is not None and editing != number and web.accounts.has_password(editing):
        web.accounts.remove(editing)
    once = {"SIP password": password} if password else None
    note = result.note
    if password is not None:
        mailed = await to_thread.run_sync(mail_credentials, result.config, number, "sip", password)
        note = f"{note} {mailed}" if mailed else note
    return _page(request, flash=note, shown_once=once, editing=number if editing else None)


@router.post("/{number}/delete")
async def remove_employee(request: Request, number: str, viewer: Admin) -> Any:
    web = web_of(request)
    form = await request.form()
    result = remove_entry(
        web,
        viewer,
        version=text(form, "version"),
        table="extensions",
        key="number",
        value=number,
        what="employee",
    )
    if not isinstance(result, Saved):
        return _page(request, problems=result, status=422, editing=number)
    web.accounts.remove(number)
    return _page(request, flash=result.note)


@router.post("/{number}/sip-password")
async def new_sip(request: Request, number: str, viewer: Admin) -> Any:
    web = web_of(request)
    form = await request.form()
    password = new_sip_password()

    def edit(document: TOMLDocument) -> None:
        index = index_of(document, "extensions", "number", number)
        if index is None:
            raise HTTPException(404, f"no employee with extension {number}")
        entries(document, "extensions")[index]["password"] = password

    result = save(
        web,
        viewer,
        version=text(form, "version"),
        edit=edit,
        prefix="",
        what=f"new SIP password for {number}",
    )
    if not isinstance(result, Saved):
        return _page(request, problems=result, status=422, editing=number)
    mailed = await to_thread.run_sync(mail_credentials, result.config, number, "sip", password)
    note = f"{result.note} {mailed}" if mailed else result.note
    return _page(request, flash=note, shown_once={"SIP password": password}, editing=number)


@router.post("/{number}/web-password")
async def new_web(request: Request, number: str, viewer: Admin) -> Any:
    web = web_of(request)
    snapshot = snapshot_or_none(request)
    if snapshot is None or snapshot.config.extension(number) is None:
        raise HTTPException(404, f"no employee with extension {number}")
    password = new_password()
    web.accounts.set_password(number, password)
    mailed = await to_thread.run_sync(mail_credentials, snapshot.config, number, "web", password)
    return _page(
        request,
        flash=f"New web password for {number}." + (f" {mailed}" if mailed else ""),
        shown_once={"web password": password},
        editing=number,
    )
