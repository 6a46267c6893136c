"""Set-up: the hardware the office uses. Doors (station, lock relay, who it rings, who may
open), paging zones' codes, line-in hold music, the call-record port (SMDR) and ESPA text
messages: the keys of [[doors]], [paging], [hold_music], [smdr] and [espa]."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel

from firmware.config import Config
from firmware.config.espa import Espa
from firmware.config.hardware import Door, HoldMusic, PagingSettings
from firmware.config.smdr import Smdr
from web_ui.context import snapshot_or_none, web_of
from web_ui.deps import Admin
from web_ui.forms import text
from web_ui.saving import Saved, remove_entry
from web_ui.section_pages import Place, SectionForm, entry_place, fresh, store
from web_ui.sections import section_table, settings_of

router = APIRouter(prefix="/setup/hardware")

DOOR_SETTINGS = settings_of(Door)
#: Section, its title and its model, in the page's order.
SECTIONS: dict[str, tuple[str, type[BaseModel]]] = {
    "paging": ("Paging zones", PagingSettings),
    "hold_music": ("Music on hold from the line-in", HoldMusic),
    "smdr": ("Call records port (SMDR)", Smdr),
    "espa": ("Text messages to DECT and pagers (ESPA 4.4.4)", Espa),
}
SETTINGS = {name: settings_of(model) for name, (_, model) in SECTIONS.items()}


def _door_form(config: Config, name: str | None) -> SectionForm:
    door = next((d for d in config.doors if d.name == name), None)
    if name is not None and door is None:
        raise HTTPException(404, f"no door {name}")
    return fresh(
        DOOR_SETTINGS,
        door,
        id="door-form",
        action=f"/setup/hardware/doors/{name}" if name else "/setup/hardware/doors",
        legend=f"Door {name}" if name else "New door",
        button="Save" if name else "Add door",
    )


def _section_form(config: Config, name: str) -> SectionForm:
    return fresh(
        SETTINGS[name],
        getattr(config, name),
        id=f"{name}-form",
        action=f"/setup/hardware/{name}",
        legend=SECTIONS[name][0],
    )


def _page(
    request: Request,
    *,
    forms: dict[str, SectionForm] | None = None,
    door: str | None = None,
    flash: str | None = None,
    status: int = 200,
) -> Any:
    web = web_of(request)
    snapshot = snapshot_or_none(request)
    if snapshot is None:
        return web.render(request, "broken.html", status=409)
    config = snapshot.config
    shown = {"doors": _door_form(config, door), **{n: _section_form(config, n) for n in SECTIONS}}
    shown.update(forms or {})
    return web.render(
        request,
        "hardware.html",
        status=status,
        config=config,
        version=snapshot.version,
        forms=shown,
        board=config.system.board,
        flash=flash,
    )


@router.get("")
def hardware(request: Request, viewer: Admin) -> Any:
    return _page(request)


@router.get("/doors/{name}")
def door(request: Request, name: str, viewer: Admin) -> Any:
    return _page(request, door=name)


@router.post("/doors")
async def add_door(request: Request, viewer: Admin) -> Any:
    return await _store_door(request, viewer, None)


@router.post("/doors/{name}")
async def change_door(request: Request, name: str, viewer: Admin) -> Any:
    return await _store_door(request, viewer, name)


async def _store_door(request: Request, viewer: Admin, name: str | None) -> Any:
    snapshot = snapshot_or_none(request)
    names = [d.name for d in snapshot.config.doors] if snapshot else []
    index = names.index(name) if name in names else len(names)
    posted = await request.form()
    form, saved = await store(
        request,
        viewer,
        form_of=lambda config: _door_form(config, name),
        place=entry_place("doors", "name", name, index),
        what=f"door {name or text(posted, 'name')}",
    )
    if saved is None:
        return _page(request, forms={"doors": form}, door=name, status=422)
    return _page(request, door=text(posted, "name") if name else None, flash=saved.note)


@router.post("/doors/{name}/delete")
async def remove_door(request: Request, name: str, viewer: Admin) -> Any:
    posted = await request.form()
    result = remove_entry(
        web_of(request),
        viewer,
        version=text(posted, "version"),
        table="doors",
        key="name",
        value=name,
        what="door",
    )
    if not isinstance(result, Saved):
        snapshot = snapshot_or_none(request)
        refused = _door_form(snapshot.config, name) if snapshot else None
        if refused is None:
            return _page(request, status=422)
        refused.problems = result
        return _page(request, forms={"doors": refused}, door=name, status=422)
    return _page(request, flash=result.note)


@router.post("/{section}")
async def save_section(request: Request, section: str, viewer: Admin) -> Any:
    if section not in SECTIONS:
        raise HTTPException(404, f"no hardware section {section}")
    form, saved = await store(
        request,
        viewer,
        form_of=lambda config: _section_form(config, section),
        place=Place(section, lambda document: section_table(document, section)),
        what=f"[{section}]",
    )
    if saved is None:
        return _page(request, forms={section: form}, status=422)
    return _page(request, flash=saved.note)
