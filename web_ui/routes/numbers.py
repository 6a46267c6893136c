"""Set-up step 3: the box's numbers and the scenario each one runs in each mode, and the
scenarios themselves as editable lists of steps (the same [[scenarios]] the engine runs)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.datastructures import FormData
from tomlkit import TOMLDocument, array, inline_table
from tomlkit.items import Array

from firmware.config import ConfigError
from firmware.config.inbound import Scenario
from web_ui.context import snapshot_or_none, web_of
from web_ui.deps import Admin
from web_ui.forms import (
    Problems,
    append_entry,
    as_seconds,
    entries,
    index_of,
    optional,
    text,
    update,
)
from web_ui.saving import Saved, save

router = APIRouter(prefix="/setup")

#: Which key of a step holds the one value its row shows, by kind.
VALUE_KEY = {
    "greeting": "prompt",
    "menu": "menu",
    "dial": "target",
    "queue": "department",
    "voicemail": "mailbox",
    "forward": "number",
    "run": "scenario",
}
KINDS = [
    ("greeting", "greeting (prompt, or by the clock)"),
    ("icm", "ICM: the caller's manager"),
    ("menu", "menu (its name)"),
    ("dial", "ring extension:N or department:N"),
    ("queue", "queue of department N"),
    ("voicemail", "voicemail of mailbox N"),
    ("forward", "forward to an outside number"),
    ("run", "run another scenario"),
    ("hangup", "hang up"),
]
ROUTINGS = ("destination", "scenario", "scenarios")


# Numbers.
def _number_shown(config: Any, index: int | None) -> dict[str, Any]:
    if index is None:
        return {"routing": "scenarios", "trunk": config.trunks[0].name if config.trunks else ""}
    entry = config.numbers[index]
    routing = next(k for k in ROUTINGS if getattr(entry, k))
    shown = {"number": entry.number, "trunk": entry.trunk, "routing": routing}
    shown["destination"] = entry.destination or ""
    shown["scenario"] = entry.scenario or ""
    shown.update({f"mode_{m}": s for m, s in (entry.scenarios or {}).items()})
    return shown


def _numbers_page(
    request: Request,
    *,
    editing: int | None = None,
    values: dict[str, Any] | None = None,
    problems: Problems | None = None,
    status: int = 200,
    flash: str | None = None,
) -> Any:
    web = web_of(request)
    snapshot = snapshot_or_none(request)
    if snapshot is None:
        return web.render(request, "broken.html", status=409)
    config = snapshot.config
    if editing is not None and not 0 <= editing < len(config.numbers):
        raise HTTPException(404, f"no number {editing}")
    return web.render(
        request,
        "numbers.html",
        status=status,
        config=config,
        version=snapshot.version,
        editing=editing,
        values=values if values is not None else _number_shown(config, editing),
        problems=problems or Problems(),
        modes=config.modes.known_names,
        trunk_options=[(t.name, t.name) for t in config.trunks],
        flash=flash,
        kinds=KINDS,
    )


@router.get("/numbers")
def numbers(request: Request, viewer: Admin) -> Any:
    return _numbers_page(request)


@router.get("/numbers/{index}")
def number(request: Request, index: int, viewer: Admin) -> Any:
    return _numbers_page(request, editing=index)


@router.post("/numbers")
async def add_number(request: Request, viewer: Admin) -> Any:
    return await _store_number(request, viewer, None)


@router.post("/numbers/{index}")
async def change_number(request: Request, index: int, viewer: Admin) -> Any:
    return await _store_number(request, viewer, index)


def _routing(form: FormData, modes: list[str]) -> dict[str, Any]:
    """destination, scenario and scenarios: the one chosen is set, the others removed."""
    chosen = text(form, "routing")
    values: dict[str, Any] = dict.fromkeys(ROUTINGS)
    if chosen == "destination":
        values["destination"] = optional(form, "destination")
    elif chosen == "scenario":
        values["scenario"] = optional(form, "scenario")
    elif chosen == "scenarios":
        by_mode = inline_table()
        by_mode.update({m: text(form, f"mode_{m}") for m in modes if text(form, f"mode_{m}")})
        values["scenarios"] = by_mode or None
    return values


async def _store_number(request: Request, viewer: Admin, index: int | None) -> Any:
    web = web_of(request)
    form = await request.form()
    snapshot = snapshot_or_none(request)
    shown = {k: text(form, k) for k in form}
    if snapshot is None:
        return _numbers_page(request, editing=index, values=shown, status=422)
    values = {"number": optional(form, "number"), "trunk": optional(form, "trunk")}
    values.update(_routing(form, snapshot.config.modes.known_names))
    at = len(snapshot.config.numbers) if index is None else index

    def edit(document: TOMLDocument) -> None:
        table = entries(document, "numbers")
        if index is None:
            append_entry(table, values)
        elif index < len(table):
            update(table[index], values)
        else:
            raise HTTPException(404, f"no number {index}")

    result = save(
        web,
        viewer,
        version=text(form, "version"),
        edit=edit,
        prefix=f"numbers[{at}]",
        what=f"number {values['number']}",
    )
    if not isinstance(result, Saved):
        for key in list(result.fields):
            if key.startswith("scenarios_"):
                result.fields[f"mode_{key.removeprefix('scenarios_')}"] = result.fields.pop(key)
        moved = result.fields.pop("", [])
        result.fields.setdefault("routing", []).extend(moved)
        return _numbers_page(request, editing=index, values=shown, problems=result, status=422)
    return _numbers_page(request, editing=index, flash=result.note)


# Scenarios.
def _rows(scenario: Scenario | None) -> list[dict[str, str]]:
    if scenario is None:
        return [{"kind": "greeting", "value": "", "ring": ""}]
    return [
        {
            "kind": step.kind,
            "value": str(getattr(step, VALUE_KEY[step.kind]) or "")
            if step.kind in VALUE_KEY
            else "",
            "ring": "" if step.ring_timeout is None else f"{step.ring_timeout:g}",
        }
        for step in scenario.steps
    ]


def _form_rows(form: FormData) -> list[dict[str, str]]:
    kinds, values, rings = (
        [str(v).strip() for v in form.getlist(name)] for name in ("kind", "value", "ring")
    )
    return [
        {"kind": k, "value": v, "ring": r} for k, v, r in zip(kinds, values, rings, strict=False)
    ]


def _rearranged(rows: list[dict[str, str]], action: str) -> list[dict[str, str]]:
    """The rows after an add, remove, up or down button (nothing saved yet)."""
    verb, _, where = action.partition(":")
    at = int(where) if where.isdigit() else -1
    rows = list(rows)
    if verb == "add":
        rows.append({"kind": "hangup", "value": "", "ring": ""})
    elif verb == "remove" and 0 <= at < len(rows):
        del rows[at]
    elif verb == "up" and 0 < at < len(rows):
        rows[at - 1], rows[at] = rows[at], rows[at - 1]
    elif verb == "down" and 0 <= at < len(rows) - 1:
        rows[at + 1], rows[at] = rows[at], rows[at + 1]
    return rows


def _steps(rows: list[dict[str, str]], problems: Problems) -> list[dict[str, Any]]:
    """The rows as steps, the keys their kinds take; a bad ring time is its row's problem."""
    steps = []
    for i, row in enumerate(rows):
        step: dict[str, Any] = {"kind": row["kind"]}
        if row["value"] and row["kind"] in VALUE_KEY:
            step[VALUE_KEY[row["kind"]]] = row["value"]
        if row["ring"]:
            try:
                step["ring_timeout"] = as_seconds(row["ring"])
            except ValueError as exc:
                problems.add(f"step{i}", str(exc))
        steps.append(step)
    return steps


def _step_array(steps: list[dict[str, Any]], old: object) -> Array:
    """``steps`` as a TOML array, one step a line. A step that was in the old list keeps
    the comment written after it, wherever it moved to."""
    comments: list[tuple[dict[str, Any], str | None]] = []
    if isinstance(old, Array):
        comments = [
            (group.value.unwrap(), group.comment.as_string().strip().lstrip("#").strip())
            if group.comment
            else (group.value.unwrap(), None)
            for group in old._value
            if group.value is not None
        ]
    written = array()
    for step in steps:
        line = inline_table()
        line.update(step)
        match = next((i for i, (was, _) in enumerate(comments) if was == step), None)
        comment = comments.pop(match)[1] if match is not None else None
        written.add_line(line, indent="  ", comment=comment or None)
    written.add_line(indent="")
    return written


def _scenario_page(
    request: Request,
    *,
    name: str | None,
    rows: list[dict[str, str]] | None = None,
    problems: Problems | None = None,
    status: int = 200,
    flash: str | None = None,
    new_name: str = "",
) -> Any:
    web = web_of(request)
    snapshot = snapshot_or_none(request)
    if snapshot is None:
        return web.render(request, "broken.html", status=409)
    scenario = snapshot.config.scenario(name) if name else None
    if name and scenario is None:
        raise HTTPException(404, f"no scenario {name}")
    return web.render(
        request,
        "scenario.html",
        status=status,
        config=snapshot.config,
        version=snapshot.version,
        name=name,
        new_name=new_name,
        rows=rows if rows is not None else _rows(scenario),
        problems=problems or Problems(),
        kinds=KINDS,
        flash=flash,
    )


@router.get("/scenarios/new")
def new_scenario(request: Request, viewer: Admin) -> Any:
    return _scenario_page(request, name=None)


@router.get("/scenarios/{name}")
def scenario(request: Request, name: str, viewer: Admin) -> Any:
    return _scenario_page(request, name=name)


@router.post("/scenarios/new")
async def add_scenario(request: Request, viewer: Admin) -> Any:
    return await _store_scenario(request, viewer, None)


@router.post("/scenarios/{name}")
async def change_scenario(request: Request, name: str, viewer: Admin) -> Any:
    return await _store_scenario(request, viewer, name)


_STEP_PATH = re.compile(r"^scenarios\[(\d+)\]\.steps\[(\d+)\]")


async def _store_scenario(request: Request, viewer: Admin, name: str | None) -> Any:
    web = web_of(request)
    form = await request.form()
    rows = _form_rows(form)
    new_name = text(form, "name")
    action = text(form, "action")
    if action and action != "save":
        return _scenario_page(request, name=name, rows=_rearranged(rows, action), new_name=new_name)
    problems = Problems()
    steps = _steps(rows, problems)
    snapshot = snapshot_or_none(request)
    if problems or snapshot is None:
        return _scenario_page(
            request, name=name, rows=rows, problems=problems, status=422, new_name=new_name
        )
    names = [s.name for s in snapshot.config.scenarios]
    at = names.index(name) if name in names else len(names)

    def edit(document: TOMLDocument) -> None:
        table = entries(document, "scenarios")
        index = index_of(document, "scenarios", "name", name) if name else None
        if name is None:
            append_entry(table, {"name": new_name or None, "steps": _step_array(steps, None)})
        elif index is None:
            raise HTTPException(404, f"no scenario {name}")
        else:
            table[index]["steps"] = _step_array(steps, table[index].get("steps"))

    result = save(
        web,
        viewer,
        version=text(form, "version"),
        edit=edit,
        prefix="",
        what=f"scenario {name or new_name}",
        place=lambda exc: _place(exc, at),
    )
    if not isinstance(result, Saved):
        return _scenario_page(
            request, name=name, rows=rows, problems=result, status=422, new_name=new_name
        )
    return _scenario_page(request, name=name or new_name, flash=result.note)


def _place(exc: ConfigError, at: int) -> Problems:
    """A step's problem goes on its row, the name's on the name, others above the form."""
    problems = Problems()
    for problem in exc.problems:
        step = _STEP_PATH.match(problem.path)
        if step and int(step.group(1)) == at:
            problems.add(f"step{step.group(2)}", problem.message)
        elif problem.path == f"scenarios[{at}].name":
            problems.add("name", problem.message)
        else:
            where = f"line {problem.line}, " if problem.line else ""
            problems.general.append(f"{where}{problem.path}: {problem.message}")
    return problems
