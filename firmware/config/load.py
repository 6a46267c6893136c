"""Reading pbx.toml: a good file becomes a Config, a bad one a ConfigError listing every problem."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path as FilePath
from typing import Any

from pydantic import ValidationError

from firmware.config.errors import ConfigError, Problem, format_path, locate_line
from firmware.config.schema import Config
from firmware.routing.numbers import NumberError, NumberPlan, read_number

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)")


def load_config(path: str | FilePath) -> Config:
    path = FilePath(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), [Problem("(file)", f"cannot read: {exc}")]) from None
    return parse_config(text, str(path))


def parse_config(text: str, filename: str = "pbx.toml") -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(filename, [_syntax_problem(str(exc))]) from None
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        problems = [_validation_problem(err, text) for err in exc.errors()]
        raise ConfigError(filename, problems) from None
    problems = [
        Problem(format_path(p), msg, locate_line(text, p)) for p, msg in _cross_checks(config)
    ]
    if problems:
        raise ConfigError(filename, problems)
    return config


def _syntax_problem(message: str) -> Problem:
    where = _TOML_POSITION.search(message)
    if not where:
        return Problem("(syntax)", message)
    text = _TOML_POSITION.sub("", message)
    return Problem("(syntax)", f"{text} (column {where.group(2)})", int(where.group(1)))


def _validation_problem(err: Any, text: str) -> Problem:
    loc = tuple(err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        message = "unknown key (see docs/config.md for the keys this section takes)"
    elif kind == "missing":
        message = "required key is missing"
    elif kind == "string_pattern_mismatch":
        message = f"{err['input']!r} does not match the expected form {err['ctx']['pattern']}"
    else:
        message = err["msg"].removeprefix("Value error, ")
    return Problem(format_path(loc), message, locate_line(text, loc))


Found = list[tuple[tuple[str | int, ...], str]]

#: pjsua's account table holds 8 (PJSUA_MAX_ACC): the engine's own and one per SIP trunk.
MAX_SIP_TRUNKS = 7


def _cross_checks(config: Config) -> Found:
    """Rules that span several entries, reported at the entry that breaks them."""
    found: Found = []
    found += _unique(config, "extensions", "number", [e.number for e in config.extensions])
    found += _unique(config, "trunks", "name", [t.name for t in config.trunks])
    found += _unique(config, "trunks", "username", [t.username for t in config.trunks])
    extensions = {e.number for e in config.extensions}
    for i, trunk in enumerate(config.trunks):
        if trunk.kind == "fxo" and trunk.username in extensions:
            found.append((("trunks", i, "username"), f"{trunk.username} is also an extension"))
    sip = [i for i, t in enumerate(config.trunks) if t.kind == "sip"]
    if len(sip) > MAX_SIP_TRUNKS:
        found.append(
            (("trunks", sip[MAX_SIP_TRUNKS], "kind"), f"at most {MAX_SIP_TRUNKS} sip trunks")
        )
    found += _trunk_lists(config)
    found += _numbers(config)
    return found


def _unique(config: Config, table: str, key: str, values: list[str]) -> Found:
    found: Found = []
    seen: dict[str, int] = {}
    for i, value in enumerate(values):
        if value in seen:
            found.append(((table, i, key), f"{value} is already {table}[{seen[value]}]"))
        seen.setdefault(value, i)
    return found


def _trunk_lists(config: Config) -> Found:
    found: Found = []
    places: list[tuple[tuple[str | int, ...], list[str]]] = [
        (("outbound", "trunks"), config.outbound.trunks)
    ]
    places += [
        (("extensions", i, "outbound", "trunks"), e.outbound.trunks)
        for i, e in enumerate(config.extensions)
        if e.outbound is not None
    ]
    for path, names in places:
        for name in names:
            trunk = config.trunk(name)
            if trunk is None:
                found.append((path, f"no trunk named {name!r}"))
            elif trunk.inbound_only:
                found.append((path, f"trunk {name!r} is inbound_only: it never carries calls out"))
    return found


def _numbers(config: Config) -> Found:
    plan = number_plan(config)
    found: Found = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(config.numbers):
        try:
            e164 = read_number(entry.number, plan).normal
        except NumberError as exc:
            found.append((("numbers", i, "number"), str(exc)))
            continue
        if e164 in seen:
            found.append((("numbers", i, "number"), f"{e164} is already numbers[{seen[e164]}]"))
        seen.setdefault(e164, i)
        if config.trunk(entry.trunk) is None:
            found.append((("numbers", i, "trunk"), f"no trunk named {entry.trunk!r}"))
        if config.extension(entry.destination) is None:
            found.append((("numbers", i, "destination"), f"no extension {entry.destination}"))
    for i, ext in enumerate(config.extensions):
        if ext.caller_id is not None:
            try:
                read_number(ext.caller_id, plan)
            except NumberError as exc:
                found.append((("extensions", i, "caller_id"), str(exc)))
    return found


def number_plan(config: Config) -> NumberPlan:
    """How this box reads numbers: its region, its area code and its extensions."""
    return NumberPlan(
        region=config.system.region,
        area_code=config.system.area_code,
        extensions=frozenset(e.number for e in config.extensions),
    )
