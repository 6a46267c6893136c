"""The operator console: live calls, each extension's lamp, queues and park slots, pushed
by server-sent events as they change; parking or transferring a call, taking a ringing or
queued call (or an extension's ringing call) onto the receptionist's own phone,
forcing a mode and opening a door by click (the opening logged as the receptionist's)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from anyio import to_thread
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, StreamingResponse

from firmware.config import ConfigError
from firmware.sipedge.subscribers import registered
from web_ui.accounts import Viewer
from web_ui.context import Web, log, snapshot_or_none, web_of
from web_ui.deps import Admin
from web_ui.forms import text

router = APIRouter(prefix="/console")

#: How often the console asks the engine; a page shows a change within this.
EVERY = 1.0
#: A comment line this often keeps proxies from closing a quiet stream.
KEEPALIVE = 15.0


def live_state(web: Web) -> dict[str, Any]:
    """The engine's console answer, with Kamailio's word on who is registered."""
    answer = web.engine.ask({"cmd": "console"})
    if answer.get("ok"):
        online = registered(web.home.sipedge_db)
        for extension in answer["extensions"]:
            if extension["state"] == "idle" and extension["number"] not in online:
                extension["state"] = "offline"
        opened = [door["last"] for door in answer.get("doors", []) if door["last"]]
        zone = _zone(web) if opened else None
        for last in opened:
            at = datetime.fromisoformat(last["opened_at"]).astimezone(zone)
            last["opened_at"] = at.strftime("%Y-%m-%d %H:%M:%S")
    return answer


def _zone(web: Web) -> ZoneInfo:
    """The office's time zone, in which the console shows when a door was opened."""
    try:
        return ZoneInfo(web.config_file.read().config.system.timezone)
    except (ConfigError, OSError):
        return ZoneInfo("UTC")


def _fragment(request: Request, state: dict[str, Any]) -> str:
    template = web_of(request).templates.get_template("console_live.html")
    return template.render(live=state)


#: The session key of the phone an admin without an extension of their own answers on.
MY_PHONE = "my_phone"


def my_phone(request: Request, viewer: Viewer) -> str | None:
    """The extension whose phone rings when this admin takes a call: their own, or the
    one they chose on the console."""
    chosen = request.session.get(MY_PHONE)
    return chosen if isinstance(chosen, str) else viewer.extension


@router.get("")
def console(request: Request, viewer: Admin) -> Any:
    web = web_of(request)
    return web.render(
        request,
        "console.html",
        fragment=_fragment(request, live_state(web)),
        my_phone=my_phone(request, viewer) or "",
    )


@router.post("/phone")
async def choose_phone(request: Request, viewer: Admin) -> HTMLResponse:
    chosen = text(await request.form(), "phone")
    snapshot = snapshot_or_none(request)
    if snapshot is None or snapshot.config.extension(chosen) is None:
        return _note(request, f"{chosen!r} is no extension: calls cannot ring it", ok=False)
    request.session[MY_PHONE] = chosen
    return _note(request, f"Calls you take ring extension {chosen}.")


@router.post("/answer")
async def answer(request: Request, viewer: Admin) -> HTMLResponse:
    record = text(await request.form(), "record")
    if not record.isdigit():
        return _note(request, f"{record!r} is not a call", ok=False)
    return await _take(request, viewer, {"cmd": "answer", "record": int(record)})


@router.post("/pickup")
async def pick_up(request: Request, viewer: Admin) -> HTMLResponse:
    extension = text(await request.form(), "extension")
    return await _take(request, viewer, {"cmd": "pickup", "extension": extension})


async def _take(request: Request, viewer: Viewer, command: dict[str, Any]) -> HTMLResponse:
    """Rings the receptionist's phone for a call: answering it there takes the call."""
    phone = my_phone(request, viewer)
    if phone is None:
        return _note(request, "Choose your phone first (My phone, above).", ok=False)
    answer = await to_thread.run_sync(web_of(request).engine.ask, {**command, "at": phone})
    if not answer.get("ok"):
        return _note(request, "; ".join(answer.get("errors", [])), ok=False)
    log.info("console: %s takes call %s on %s", viewer.login, answer["record"], phone)
    return _note(request, f"Call {answer['record']} rings your phone ({phone}): answer it there.")


@router.post("/door")
async def open_door(request: Request, viewer: Admin) -> HTMLResponse:
    """Opens a door as its direct code would, in the name of the receptionist's phone."""
    door = text(await request.form(), "door")
    snapshot = snapshot_or_none(request)
    if snapshot is not None and not any(d.name == door for d in snapshot.config.doors):
        return _note(request, f"{door!r} is no door of this office: nothing opened", ok=False)
    phone = my_phone(request, viewer)
    if phone is None:
        return _note(request, "Choose your phone first (My phone, above).", ok=False)
    answer = await to_thread.run_sync(
        web_of(request).engine.ask, {"cmd": "open_door", "door": door, "by": phone}
    )
    if not answer.get("ok"):
        return _note(request, "; ".join(answer.get("errors", [])), ok=False)
    log.info("console: %s opened door %s as %s", viewer.login, door, phone)
    return _note(request, f"Door {door} opened (logged as opened by {phone}).")


@router.get("/events")
async def events(request: Request, viewer: Admin) -> StreamingResponse:
    web = web_of(request)

    async def stream() -> AsyncIterator[str]:
        last, quiet = "", 0.0
        while not await request.is_disconnected():
            state = await to_thread.run_sync(live_state, web)
            shown = _fragment(request, state)
            if shown != last:
                last, quiet = shown, 0.0
                yield (
                    "event: live\n"
                    + "".join(f"data: {line}\n" for line in shown.splitlines())
                    + "\n"
                )
            elif quiet >= KEEPALIVE:
                quiet = 0.0
                yield ": still here\n\n"
            await asyncio.sleep(EVERY)
            quiet += EVERY

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store"}
    )


@router.post("/park")
async def park(request: Request, viewer: Admin) -> HTMLResponse:
    form = await request.form()
    record = text(form, "record")
    if not record.isdigit():
        return _note(request, f"{record!r} is not a call", ok=False)
    answer = await to_thread.run_sync(
        web_of(request).engine.ask, {"cmd": "park", "record": int(record)}
    )
    if not answer.get("ok"):
        return _note(request, "; ".join(answer.get("errors", [])), ok=False)
    log.info("console: %s parked call %s on line %s", viewer.login, record, answer["slot"])
    slot = answer["slot"]
    snapshot = snapshot_or_none(request)
    code = f"{snapshot.config.dialing.park}{slot}" if snapshot else f"the park code and {slot}"
    return _note(request, f"Call parked on line {slot}: any phone dials {code} to take it.")


@router.post("/transfer")
async def transfer(request: Request, viewer: Admin) -> HTMLResponse:
    form = await request.form()
    record, target = text(form, "record"), text(form, "to")
    if not record.isdigit():
        return _note(request, f"{record!r} is not a call", ok=False)
    answer = await to_thread.run_sync(
        web_of(request).engine.ask, {"cmd": "transfer", "record": int(record), "to": target}
    )
    if not answer.get("ok"):
        return _note(request, "; ".join(answer.get("errors", [])), ok=False)
    log.info("console: %s transferred call %s to %s", viewer.login, record, target)
    return _note(request, f"Call {record} is being handed to {target}.")


@router.post("/mode")
async def mode(request: Request, viewer: Admin) -> HTMLResponse:
    form = await request.form()
    chosen = text(form, "mode")
    answer = await to_thread.run_sync(
        web_of(request).engine.ask, {"cmd": "mode", "mode": chosen, "by": viewer.login}
    )
    if not answer.get("ok"):
        return _note(request, "; ".join(answer.get("errors", [])), ok=False)
    log.info("console: %s forced mode %r", viewer.login, chosen or "(schedule)")
    return _note(request, f"Mode now: {answer['mode']['mode']}.")


def _note(request: Request, message: str, *, ok: bool = True) -> HTMLResponse:
    """What a click did, swapped into the console by htmx (also when refused)."""
    template = web_of(request).templates.get_template("console_note.html")
    return HTMLResponse(template.render(message=message, ok=ok))
