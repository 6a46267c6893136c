"""What the schema-made set-up pages share: a form per section or entry, and its save.

Each page lists the forms it shows (``SectionForm``); a post finds its form,
reads what changed against pbx.toml as it is now, and saves through
``web_ui.saving.save`` (tomlkit, the config check, the atomic write, reload).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from anyio import to_thread
from fastapi import HTTPException, Request
from starlette.datastructures import FormData
from tomlkit import TOMLDocument

from firmware.config import Config
from web_ui.accounts import Viewer
from web_ui.context import snapshot_or_none, web_of
from web_ui.forms import Problems, append_entry, entries, index_of, text
from web_ui.saving import Saved, save
from web_ui.sections import Container, Keys, Setting, apply, changes, placed, shown, typed

#: Reads what a page adds to a form beyond its settings (ICM's ordered sources).
Extra = Callable[[FormData, Config, Problems], dict[Keys, Any]]


@dataclass
class SectionForm:
    """A form on a page: where it posts, its inputs, and what they show."""

    id: str
    action: str
    legend: str
    settings: list[Setting]
    values: dict[str, Any]
    problems: Problems = field(default_factory=Problems)
    button: str = "Save"


@dataclass(frozen=True)
class Place:
    """Where a form's keys live in pbx.toml: ``prefix`` is their key path (``smdr``,
    ``trunks[1]``); ``where`` finds or makes their table."""

    prefix: str
    where: Callable[[TOMLDocument], Container]


def entry_place(name: str, key: str, value: str | None, index: int) -> Place:
    """An entry of ``[[name]]`` found by ``key`` (a new one is appended when ``value`` is
    None): ``index`` is where it is, or will be, for the problems' key paths."""

    def where(document: TOMLDocument) -> Container:
        found = entries(document, name)
        if value is None:
            append_entry(found, {})
            return found[-1]
        at = index_of(document, name, key, value)
        if at is None:
            raise HTTPException(404, f"no {name} entry {value}")
        return found[at]

    return Place(f"{name}[{index}]", where)


async def store(
    request: Request,
    viewer: Viewer,
    *,
    form_of: Callable[[Config], SectionForm],
    place: Place,
    what: str,
    extra: Extra | None = None,
) -> tuple[SectionForm, Saved | None]:
    """Saves the posted form; the form comes back with what was typed and its problems
    when the save is refused (nothing changed), or fresh from the new file when saved."""
    web = web_of(request)
    posted = await request.form()
    snapshot = snapshot_or_none(request)
    if snapshot is None:
        raise HTTPException(409, "pbx.toml cannot be read: mend it with minipbx config check")
    section = form_of(snapshot.config)
    problems = Problems()
    found = changes(posted, section.settings, section.values, problems)
    if extra is not None:
        found.update(extra(posted, snapshot.config, problems))
    section.values = {**section.values, **typed(posted, section.settings)}
    if problems:
        section.problems = problems
        return section, None
    result = save(
        web,
        viewer,
        version=text(posted, "version"),
        edit=lambda document: apply(place.where(document), found),
        prefix=place.prefix,
        what=what,
        place=lambda exc: placed(exc, place.prefix, section.settings),
    )
    if not isinstance(result, Saved):
        section.problems = result
        return section, None
    return form_of(result.config), result


def fresh(settings: list[Setting], section: Any, **form: Any) -> SectionForm:
    return SectionForm(settings=settings, values=shown(section, settings), **form)


class PageBuilder(Protocol):
    """Renders a schema-made page; it may ask the engine, so it runs off the event loop."""

    def __call__(
        self, request: Request, form: SectionForm | None, *, flash: str | None, status: int
    ) -> Any: ...


async def page_off_loop(
    build: PageBuilder,
    request: Request,
    form: SectionForm | None = None,
    *,
    flash: str | None = None,
    status: int = 200,
) -> Any:
    """The page ``build`` renders, built off the event loop: the engine may be slow to answer."""
    return await to_thread.run_sync(lambda: build(request, form, flash=flash, status=status))
