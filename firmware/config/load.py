"""Reading pbx.toml: a good file becomes a Config, a bad one a ConfigError listing every problem."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path as FilePath
from typing import Any

from pydantic import ValidationError

from firmware.config.errors import ConfigError, Problem, format_path, locate_line
from firmware.config.schema import Config

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


def _cross_checks(config: Config) -> list[tuple[tuple[str | int, ...], str]]:
    """Rules that span several entries, reported at the entry that breaks them."""
    found: list[tuple[tuple[str | int, ...], str]] = []
    seen: dict[str, int] = {}
    for i, ext in enumerate(config.extensions):
        if ext.number in seen:
            found.append(
                (
                    ("extensions", i, "number"),
                    f"{ext.number} is already extensions[{seen[ext.number]}]",
                )
            )
        seen.setdefault(ext.number, i)
    return found
