"""Set-up step 2: departments. Members in ringing order, the strategy and its step time,
and the queue callers wait in when every member is busy."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.datastructures import FormData
from tomlkit import TOMLDocument, inline_table
from tomlkit.items import InlineTable, Table

from firmware.config.inbound import Department, QueueSettings
from web_ui.context import snapshot_or_none, web_of
from web_ui.deps import Admin
from web_ui.forms import (
    Problems,
    append_entry,
    entries,
    index_of,
    optional,
    seconds,
    text,
    update,
    whole,
)
from web_ui.saving import Saved, save

router = APIRouter(prefix="/setup/departments")

FIELDS = ("number", "name", "strategy", "step", "ring_timeout", "members")
QUEUE_NUMBERS = ("max_wait", "announce_every", "wrap_up", "service_level")
QUEUE_FLAGS = ("enabled", "announce_position", "offer_callback")
DEFAULT_QUEUE = QueueSettings()


def _shown(department: Department | None) -> dict[str, Any]:
    queue = department.queue if department else DEFAULT_QUEUE
    shown: dict[str, Any] = {
        f"queue_{k}": getattr(queue, k) for k in (*QUEUE_NUMBERS, *QUEUE_FLAGS, "max_length")
    }
    shown["queue_overflow"] = str(queue.overflow or "")
    if department is None:
        return {**shown, "strategy": "all", "step": 10, "ring_timeout": 30}
    shown.update({k: getattr(department, k) for k in FIELDS})
    shown["members"] = ", ".join(department.members)
    return shown


def _read(form: FormData, problems: Problems) -> tuple[dict[str, Any], dict[str, Any]]:
    """The department's own keys, and its queue's keys (None where the default holds)."""
    values: dict[str, Any] = {
        "number": optional(form, "number"),
        "name": optional(form, "name"),
        "strategy": optional(form, "strategy"),
        "step": seconds(form, "step", problems),
        "ring_timeout": seconds(form, "ring_timeout", problems),
        "members": [m for m in re.split(r"[\s,;]+", text(form, "members")) if m] or None,
    }
    queue: dict[str, Any] = {k: seconds(form, f"queue_{k}", problems) for k in QUEUE_NUMBERS}
    queue["max_length"] = whole(form, "queue_max_length", problems)
    queue.update({k: form.get(f"queue_{k}") == "on" for k in QUEUE_FLAGS})
    queue["overflow"] = optional(form, "queue_overflow")
    for key, value in queue.items():
        default = getattr(DEFAULT_QUEUE, key)
        if value == (str(default) if key == "overflow" and default else default):
            queue[key] = None
    return values, queue


def _page(
    request: Request,
    *,
    editing: str | None = None,
    values: dict[str, Any] | None = None,
    problems: Problems | None = None,
    status: int = 200,
    flash: str | None = None,
) -> Any:
    web = web_of(request)
    snapshot = snapshot_or_none(request)
    if snapshot is None:
        return web.render(request, "broken.html", status=409)
    department = snapshot.config.department(editing) if editing else None
    if editing and department is None:
        raise HTTPException(404, f"no department {editing}")
    return web.render(
        request,
        "departments.html",
        status=status,
        config=snapshot.config,
        version=snapshot.version,
        editing=editing,
        values=values if values is not None else _shown(department),
        problems=problems or Problems(),
        flash=flash,
    )


@router.get("")
def departments(request: Request, viewer: Admin) -> Any:
    return _page(request)


@router.get("/{number}")
def department(request: Request, number: str, viewer: Admin) -> Any:
    return _page(request, editing=number)


@router.post("")
async def add_department(request: Request, viewer: Admin) -> Any:
    return await _store(request, viewer, editing=None)


@router.post("/{number}")
async def change_department(request: Request, number: str, viewer: Admin) -> Any:
    return await _store(request, viewer, editing=number)


async def _store(request: Request, viewer: Admin, *, editing: str | None) -> Any:
    web = web_of(request)
    form = await request.form()
    problems = Problems()
    values, queue = _read(form, problems)
    shown: dict[str, Any] = {k: text(form, k) for k in form}
    shown.update({f"queue_{k}": form.get(f"queue_{k}") == "on" for k in QUEUE_FLAGS})
    snapshot = snapshot_or_none(request)
    if problems or snapshot is None:
        return _page(request, editing=editing, values=shown, problems=problems, status=422)
    numbers = [d.number for d in snapshot.config.departments]
    index = numbers.index(editing) if editing in numbers else len(numbers)

    def edit(document: TOMLDocument) -> None:
        table = entries(document, "departments")
        at = index_of(document, "departments", "number", editing) if editing else None
        if editing is not None and at is None:
            raise HTTPException(404, f"no department {editing}")
        if at is None:
            own = inline_table()
            own.update({k: v for k, v in queue.items() if v is not None})
            append_entry(table, {**values, "queue": own or None})
            return
        entry = table[at]
        update(entry, values)
        existing = entry.get("queue")
        if isinstance(existing, Table | InlineTable):
            update(existing, queue)
            if not existing:
                entry.pop("queue")
        elif any(v is not None for v in queue.values()):
            own = inline_table()
            own.update({k: v for k, v in queue.items() if v is not None})
            entry["queue"] = own

    result = save(
        web,
        viewer,
        version=text(form, "version"),
        edit=edit,
        prefix=f"departments[{index}]",
        what=f"department {values['number']} ({values['name']})",
    )
    if not isinstance(result, Saved):
        return _page(request, editing=editing, values=shown, problems=result, status=422)
    return _page(request, editing=str(values["number"]) if editing else None, flash=result.note)
