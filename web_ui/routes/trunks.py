"""Set-up: trunks, each with its live state from the engine (up or down and why, channels
busy), and its keys edited as any [[trunks]] entry; the password is never shown back."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request

from firmware.config import Config
from firmware.config.schema import Trunk
from web_ui.context import snapshot_or_none, web_of
from web_ui.deps import Admin
from web_ui.forms import text
from web_ui.saving import Saved, remove_entry
from web_ui.section_pages import SectionForm, entry_place, fresh, page_off_loop, store
from web_ui.sections import settings_of

router = APIRouter(prefix="/setup/trunks")

SETTINGS = settings_of(Trunk, secrets=("password",))


def _form(config: Config, name: str | None) -> SectionForm:
    trunk = next((t for t in config.trunks if t.name == name), None)
    if name is not None and trunk is None:
        raise HTTPException(404, f"no trunk {name}")
    return fresh(
        SETTINGS,
        trunk,
        id="trunk-form",
        action=f"/setup/trunks/{name}" if name else "/setup/trunks",
        legend=f"Trunk {name}" if name else "New trunk",
        button="Save" if name else "Add trunk",
    )


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
    answer = web.engine.ask({"cmd": "status"})
    live = {t["name"]: t for t in answer.get("trunks", [])} if answer.get("ok") else None
    return web.render(
        request,
        "trunks.html",
        status=status,
        config=snapshot.config,
        version=snapshot.version,
        live=live,
        engine_errors=answer.get("errors", []),
        form=form or _form(snapshot.config, None),
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
async def trunks(request: Request, viewer: Admin) -> Any:
    return await _page(request)


@router.get("/{name}")
async def trunk(request: Request, name: str, viewer: Admin) -> Any:
    snapshot = snapshot_or_none(request)
    return await _page(request, _form(snapshot.config, name) if snapshot else None)


@router.post("")
async def add_trunk(request: Request, viewer: Admin) -> Any:
    return await _store(request, viewer, None)


@router.post("/{name}")
async def change_trunk(request: Request, name: str, viewer: Admin) -> Any:
    return await _store(request, viewer, name)


async def _store(request: Request, viewer: Admin, name: str | None) -> Any:
    posted = await request.form()
    snapshot = snapshot_or_none(request)
    names = [t.name for t in snapshot.config.trunks] if snapshot else []
    index = names.index(name) if name in names else len(names)
    form, saved = await store(
        request,
        viewer,
        form_of=lambda config: _form(config, name),
        place=entry_place("trunks", "name", name, index),
        what=f"trunk {name or text(posted, 'name')}",
    )
    if saved is None:
        return await _page(request, form, status=422)
    kept = text(posted, "name") if name else None
    return await _page(request, _form(saved.config, kept), flash=saved.note)


@router.post("/{name}/delete")
async def remove_trunk(request: Request, name: str, viewer: Admin) -> Any:
    form = await request.form()
    result = remove_entry(
        web_of(request),
        viewer,
        version=text(form, "version"),
        table="trunks",
        key="name",
        value=name,
        what="trunk",
    )
    if not isinstance(result, Saved):
        snapshot = snapshot_or_none(request)
        shown = _form(snapshot.config, name) if snapshot else None
        if shown is not None:
            shown.problems = result
        return await _page(request, shown, status=422)
    return await _page(request, flash=result.note)
