"""Set-up: ICM. Its sources in order (each active or not), exceptions, the mobile, the
default, and the CRMs' keys. A CRM's secret (token, webhook, password) is write-only:
the page says whether one is set, never what it is."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData

from firmware.config import Config
from firmware.config.icm import DEFAULT_SOURCES, Icm, SourceName
from web_ui.context import snapshot_or_none, web_of
from web_ui.deps import Admin
from web_ui.forms import Problems, text
from web_ui.section_pages import Place, SectionForm, fresh, store
from web_ui.sections import Keys, section_table, settings_of

router = APIRouter(prefix="/setup/icm")

SETTINGS = settings_of(Icm, skip=("sources",))
SOURCES: tuple[SourceName, ...] = ("history", "amocrm", "bitrix24", "megaplan")
PLACE = Place("icm", lambda document: section_table(document, "icm"))


def _sources(config: Config) -> list[str]:
    return list(config.icm.sources) if config.icm else list(DEFAULT_SOURCES)


def _form(config: Config) -> SectionForm:
    form = fresh(SETTINGS, config.icm, id="icm-form", action="/setup/icm", legend="ICM")
    active = _sources(config)
    for name in SOURCES:
        form.values[f"source_{name}"] = name in active
        form.values[f"order_{name}"] = str(active.index(name) + 1) if name in active else ""
    return form


def _read_sources(form: FormData, config: Config, problems: Problems) -> dict[Keys, Any]:
    """The active sources sorted by the place typed for each (then in the page's order)."""
    places: list[tuple[float, int, str]] = []
    for i, name in enumerate(SOURCES):
        if form.get(f"source_{name}") != "on":
            continue
        raw = text(form, f"order_{name}")
        if raw and not raw.isdigit():
            problems.add(f"order_{name}", f"{raw!r} is not a place (1, 2, ...)")
        places.append((int(raw) if raw.isdigit() else len(SOURCES) + i, i, name))
    chosen = [name for *_, name in sorted(places)]
    return {} if chosen == _sources(config) else {("sources",): chosen}


def _page(
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
    return web.render(
        request,
        "icm.html",
        status=status,
        version=snapshot.version,
        form=form or _form(snapshot.config),
        sources=SOURCES,
        flash=flash,
    )


@router.get("")
def icm(request: Request, viewer: Admin) -> Any:
    return _page(request)


@router.post("")
async def save_icm(request: Request, viewer: Admin) -> Any:
    form, saved = await store(
        request, viewer, form_of=_form, place=PLACE, what="ICM", extra=_read_sources
    )
    if saved is None:
        posted = await request.form()
        for name in SOURCES:
            form.values[f"source_{name}"] = posted.get(f"source_{name}") == "on"
            form.values[f"order_{name}"] = text(posted, f"order_{name}")
        return _page(request, form, status=422)
    return _page(request, form, flash=saved.note)
