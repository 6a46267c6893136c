"""Set-up: modes and holidays. The day, lunch and night schedule as rows, holidays as
dates, the mode a holiday takes, and the mode forced now (as the console and the feature
code force it)."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from tomlkit import array, inline_table

from firmware.config import Config
from firmware.config.inbound import Modes
from web_ui.context import log, snapshot_or_none, web_of
from web_ui.deps import Admin
from web_ui.forms import Problems, text
from web_ui.section_pages import Place, SectionForm, fresh, page_off_loop, store
from web_ui.sections import Keys, section_table, settings_of

router = APIRouter(prefix="/setup/modes")

SETTINGS = settings_of(Modes, skip=("schedule",))
PERIOD_KEYS = ("mode", "days", "start", "end")
PLACE = Place("modes", lambda document: section_table(document, "modes"))


def _form(config: Config) -> SectionForm:
    form = fresh(
        SETTINGS, config.modes, id="modes-form", action="/setup/modes", legend="Modes and holidays"
    )
    for i, period in enumerate(config.modes.schedule):
        form.values.update({f"schedule_{i}_{k}": getattr(period, k) for k in PERIOD_KEYS})
    return form


def _schedule(form: FormData, config: Config, problems: Problems) -> dict[Keys, Any]:
    """The schedule's rows, a row left without a mode dropped, and one more row to add;
    written back whole when any row changed."""
    rows = []
    for i in range(len(config.modes.schedule) + 1):
        row = {k: text(form, f"schedule_{i}_{k}") for k in PERIOD_KEYS}
        if row["mode"]:
            rows.append(row)
    current = [{k: getattr(p, k) for k in PERIOD_KEYS} for p in config.modes.schedule]
    if rows == current:
        return {}
    written = array()
    for row in rows:
        period = inline_table()
        period.update(row)
        written.append(period)
    written.multiline(True)
    return {("schedule",): written}


def _built(
    request: Request,
    form: SectionForm | None = None,
    *,
    flash: str | None = None,
    status: int = 200,
) -> Any:
    web = web_of(request)
    snapshot = snapshot_or_none(request)
    if snapshot is None:
        return web.render(request, "broken.html", status=409)
    form = form or _form(snapshot.config)
    rows = len(snapshot.config.modes.schedule) + 1
    return web.render(
        request,
        "modes.html",
        status=status,
        config=snapshot.config,
        version=snapshot.version,
        now=web.engine.ask({"cmd": "console"}),
        form=form,
        rows=range(rows),
        flash=flash,
    )


async def _page(
    request: Request,
    form: SectionForm | None = None,
    *,
    flash: str | None = None,
    status: int = 200,
) -> Any:
    return await page_off_loop(_built, request, form, flash=flash, status=status)


@router.get("")
async def modes(request: Request, viewer: Admin) -> Any:
    return await _page(request)


@router.post("")
async def save_modes(request: Request, viewer: Admin) -> Any:
    form, saved = await store(
        request, viewer, form_of=_form, place=PLACE, what="modes", extra=_schedule
    )
    if saved is None:
        posted = await request.form()
        form.values.update({k: text(posted, k) for k in posted if k.startswith("schedule_")})
        return await _page(request, form, status=422)
    return await _page(request, form, flash=saved.note)


@router.post("/force")
async def force(request: Request, viewer: Admin) -> Any:
    chosen = text(await request.form(), "mode")
    web = web_of(request)
    answer = await to_thread.run_sync(
        web.engine.ask, {"cmd": "mode", "mode": chosen, "by": viewer.login}
    )
    if not answer.get("ok"):
        return await _page(request, flash="Not forced: " + "; ".join(answer.get("errors", [])))
    log.info("set-up: %s forced mode %r", viewer.login, chosen or "(schedule)")
    return await _page(request, flash=f"Mode now: {answer['mode']['mode']}.")
