"""A pbx.toml section as a form, made from its pydantic model: one input per key.

The set-up pages for trunks, modes, ICM and hardware have many keys and few
rules of their own, so their forms come from the schema: the key's type gives
the input (a checkbox, a choice, a number, a comma list, ``key=value`` pairs),
its description gives the hint. A save writes only the keys whose value the
admin changed (an untouched key, its comment and its default stay as they
are), an emptied key is removed (its default applies again), and a secret
(``SecretStr``, or a key named as one) is never shown back: left empty it is
kept, and only what is typed replaces it.
"""

from __future__ import annotations

import re
import types
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, SecretStr
from starlette.datastructures import FormData
from tomlkit import TOMLDocument, inline_table, table
from tomlkit.items import InlineTable, Table

from firmware.config import ConfigError
from web_ui.forms import Problems, as_seconds, text

Keys = tuple[str, ...]
Container = Table | InlineTable | TOMLDocument


@dataclass(frozen=True)
class Setting:
    """One input of a section's form; ``name`` is its keys joined by ``_``, as problems
    from the config loader name it."""

    keys: Keys
    kind: str  # text, flag, whole, number, choice, list, dates, map or secret
    hint: str = ""
    options: tuple[Any, ...] = ()

    @property
    def name(self) -> str:
        return "_".join(self.keys)

    @property
    def label(self) -> str:
        return " ".join(self.keys).replace("_", " ")


def settings_of(
    model: type[BaseModel],
    *,
    skip: tuple[str, ...] = (),
    secrets: tuple[str, ...] = (),
    keys: Keys = (),
) -> list[Setting]:
    """The inputs for ``model``'s keys, nested sections included (their keys prefixed)."""
    found: list[Setting] = []
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        annotation = _bare(info.annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            found += settings_of(annotation, secrets=secrets, keys=(*keys, name))
            continue
        kind, options = _kind(annotation)
        if name in secrets:
            kind = "secret"
        found.append(Setting((*keys, name), kind, info.description or "", options))
    return found


def _bare(annotation: Any) -> Any:
    """``X | None`` and ``Annotated[X, ...]`` as ``X``."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _bare(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        rest = [a for a in get_args(annotation) if a is not type(None)]
        return _bare(rest[0]) if len(rest) == 1 else str
    return annotation


def _kind(annotation: Any) -> tuple[str, tuple[Any, ...]]:
    origin = get_origin(annotation)
    if origin is Literal:
        return "choice", get_args(annotation)
    if origin is list:
        return ("dates" if _bare(get_args(annotation)[0]) is date else "list"), ()
    if origin is dict:
        return "map", ()
    if annotation is bool:
        return "flag", ()
    if annotation is int:
        return "whole", ()
    if annotation is float:
        return "number", ()
    if annotation is SecretStr:
        return "secret", ()
    return "text", ()


def shown(section: BaseModel | None, settings: list[Setting]) -> dict[str, Any]:
    """Each input's value as the form shows it: secrets never, only whether one is set."""
    values: dict[str, Any] = {}
    for setting in settings:
        value: Any = section
        for key in setting.keys:
            value = getattr(value, key, None)
        if setting.kind == "secret":
            values[f"{setting.name}__set"] = value is not None and value != ""
            values[setting.name] = ""
        else:
            values[setting.name] = _as_text(value) if setting.kind != "flag" else bool(value)
    return values


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_as_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_as_text(v)}" for k, v in value.items())
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def typed(form: FormData, settings: list[Setting]) -> dict[str, Any]:
    """The form as typed, to show it again when a save is refused (secrets left out)."""
    values: dict[str, Any] = {}
    for setting in settings:
        if setting.kind == "flag":
            values[setting.name] = form.get(setting.name) == "on"
        elif setting.kind != "secret":
            values[setting.name] = text(form, setting.name)
    return values


def changes(
    form: FormData, settings: list[Setting], before: dict[str, Any], problems: Problems
) -> dict[Keys, Any]:
    """What the admin changed: keys to their new value, None for a key emptied."""
    found: dict[Keys, Any] = {}
    for setting in settings:
        if setting.kind == "flag":
            checked = form.get(setting.name) == "on"
            if checked != before.get(setting.name):
                found[setting.keys] = checked
            continue
        raw = text(form, setting.name)
        if setting.kind == "secret":
            if raw:
                found[setting.keys] = raw
            continue
        if raw == before.get(setting.name, ""):
            continue
        try:
            found[setting.keys] = _value(setting, raw) if raw else None
        except ValueError as exc:
            problems.add(setting.name, str(exc))
    return found


def _value(setting: Setting, raw: str) -> Any:
    """``raw`` as the TOML value of ``setting``; ValueError says what is wrong with it."""
    kind = setting.kind
    if kind == "whole":
        if not raw.lstrip("-").isdigit():
            raise ValueError(f"{raw!r} is not a whole number")
        return int(raw)
    if kind == "number":
        return as_seconds(raw)
    if kind == "choice":
        for option in setting.options:
            if str(option) == raw:
                return option
        raise ValueError(f"{raw!r} is not one of {', '.join(map(str, setting.options))}")
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if kind == "list":
        return items
    if kind == "dates":
        try:
            return [date.fromisoformat(item) for item in items]
        except ValueError:
            raise ValueError("dates are written YYYY-MM-DD, separated by commas") from None
    if kind == "map":
        pairs = inline_table()
        for item in items:
            key, equals, value = item.partition("=")
            if not equals or not key.strip():
                raise ValueError(f"{item!r}: write key=value pairs, separated by commas")
            pairs[key.strip()] = value.strip()
        return pairs
    return raw


def apply(container: Container, found: dict[Keys, Any]) -> None:
    """Writes ``found`` into ``container``, making nested tables as needed and removing
    those a change left empty (an empty CRM table would be a CRM without its keys)."""
    for keys, value in found.items():
        place = container
        for key in keys[:-1]:
            inner = place.get(key)
            if not isinstance(inner, Table | InlineTable):
                if value is None:
                    break
                inner = table()
                place[key] = inner
            place = inner
        else:
            if value is None:
                place.pop(keys[-1], None)
            else:
                place[keys[-1]] = value
        _drop_empty(container, keys[:-1])


def _drop_empty(container: Container, keys: Keys) -> None:
    for depth in range(len(keys), 0, -1):
        parent: Any = container
        for key in keys[: depth - 1]:
            parent = parent.get(key)
        inner = parent.get(keys[depth - 1]) if parent is not None else None
        if isinstance(inner, Table | InlineTable) and not inner:
            parent.pop(keys[depth - 1])


def section_table(document: TOMLDocument, name: str) -> Table:
    """``[name]``, made at the end of the file when it has none."""
    if name not in document:
        document.add(name, table())
    found = document[name]
    assert isinstance(found, Table), f"[{name}] is a table in pbx.toml"
    return found


def placed(exc: ConfigError, prefix: str, settings: list[Setting]) -> Problems:
    """The loader's problems next to the inputs they name; any other one above the form
    with its whole key path and line."""
    names = {s.name for s in settings}
    found = Problems()
    for problem in exc.problems:
        below = problem.path.removeprefix(f"{prefix}.") if prefix else problem.path
        name = re.sub(r"\[[^\]]*\]", "", below).replace(".", "_")
        if below != problem.path and name in names:
            found.add(name, problem.message)
        else:
            where = f"line {problem.line}, " if problem.line else ""
            found.general.append(f"{where}{problem.path}: {problem.message}")
    return found
