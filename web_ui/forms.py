"""Form input into pbx.toml values, and pbx.toml's problems back next to the form's fields.

A form is first read here (numbers that are numbers, choices that exist);
then the whole new file is validated by the config loader, whose problems
carry key paths such as ``extensions[6].number``: the ones under the entry a
form edits are shown next to its fields, any other one above the form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import FormData
from tomlkit import TOMLDocument, aot, nl, table
from tomlkit.items import AoT, Comment, InlineTable, Table, Whitespace

from firmware.config import ConfigError


@dataclass
class Problems:
    """What is wrong with a form: by field name, and what belongs to no field."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)


def config_problems(exc: ConfigError, prefix: str) -> Problems:
    """``exc``'s problems placed on the fields of the entry at key path ``prefix``: a field
    is named by its keys joined with ``_`` (``queue.max_wait`` is ``queue_max_wait``)."""
    found = Problems()
    for problem in exc.problems:
        if problem.path == prefix:
            found.add("", problem.message)
        elif prefix and problem.path.startswith(f"{prefix}."):
            keys = re.sub(r"\[[^\]]*\]", "", problem.path[len(prefix) + 1 :])
            found.add(keys.replace(".", "_"), problem.message)
        else:
            where = f"line {problem.line}, " if problem.line else ""
            found.general.append(f"{where}{problem.path}: {problem.message}")
    return found


def text(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def optional(form: FormData, name: str) -> str | None:
    return text(form, name) or None


def choices(form: FormData, name: str) -> list[str]:
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def as_seconds(raw: str) -> float:
    """``raw`` as seconds; ValueError says what is wrong with it."""
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        raise ValueError(f"{raw!r} is not a number of seconds") from None
    return int(value) if value.is_integer() else value


def seconds(form: FormData, name: str, problems: Problems) -> float | None:
    """A number of seconds, or None when left empty; garbage is a problem on the field."""
    raw = text(form, name)
    if not raw:
        return None
    try:
        return as_seconds(raw)
    except ValueError as exc:
        problems.add(name, str(exc))
        return None


def whole(form: FormData, name: str, problems: Problems) -> int | None:
    raw = text(form, name)
    if not raw:
        return None
    if not raw.isdigit():
        problems.add(name, f"{raw!r} is not a whole number")
        return None
    return int(raw)


def entries(document: TOMLDocument, name: str) -> AoT:
    """The array of tables ``[[name]]``, made at the end of the file when it has none."""
    if name not in document:
        document.append(name, aot())
    found = document[name]
    assert isinstance(found, AoT), f"{name} is an array of tables in pbx.toml"
    return found


def index_of(document: TOMLDocument, name: str, key: str, value: str) -> int | None:
    if name not in document:
        return None
    return next(
        (i for i, entry in enumerate(entries(document, name)) if entry.get(key) == value), None
    )


def update(entry: Table | InlineTable, values: dict[str, Any]) -> None:
    """Sets each key, removes those given None: the entry's other keys and comments stay."""
    for key, value in values.items():
        if value is None:
            entry.pop(key, None)
        else:
            entry[key] = value


def append_entry(entries: AoT, values: dict[str, Any]) -> None:
    """Adds ``[[name]]`` after the last one. The comments that follow the last entry
    introduce whatever comes next in the file, so they move below the new entry."""
    entry = table()
    update(entry, values)
    if len(entries):
        body = entries[-1].value.body
        tail: list[tuple[None, Any]] = []
        while body and body[-1][0] is None and isinstance(body[-1][1], Whitespace | Comment):
            tail.insert(0, (None, body.pop()[1]))
        if tail:
            entries[-1].value.append(None, nl())
        for _, item in tail:
            entry.value.append(None, item)
    entries.append(entry)
