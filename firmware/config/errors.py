"""Config problems that an installer can act on: file, line, key path and what is wrong."""

from __future__ import annotations

import re
from dataclasses import dataclass

from firmware.keypath import Path, format_path

__all__ = ["ConfigError", "Path", "Problem", "format_path", "locate_line"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a config file."""

    path: str
    message: str
    line: int | None = None

    def render(self, filename: str) -> str:
        where = f"{filename}:{self.line}" if self.line else filename
        return f"{where}: {self.path}: {self.message}"


class ConfigError(Exception):
    """A config file refused as a whole; ``problems`` lists every reason found."""

    def __init__(self, filename: str, problems: list[Problem]) -> None:
        self.filename = filename
        self.problems = problems
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(p.render(self.filename) for p in self.problems)


_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_.\- ]+?)\s*=""")


def _split_dotted(key: str) -> list[str]:
    return [k.strip().strip("\"'") for k in key.split(".")]


def locate_line(text: str, path: Path) -> int | None:
    """Best line for a key path in hand-written TOML, or None.

    TOML parsers forget positions, so this walks the text the way a reader
    does: table headers set the current table, arrays of tables count their
    entries, ``key =`` lines add a key. The deepest line whose path is a
    prefix of the wanted one wins, so a missing key points at its table.
    """
    want = [str(p) for p in path]
    counts: dict[tuple[str, ...], int] = {}
    table: list[str] = []
    best: tuple[int, int] | None = None  # (depth matched, line)

    def consider(found: list[str], lineno: int) -> None:
        nonlocal best
        if found == want[: len(found)] and (best is None or len(found) > best[0]):
            best = (len(found), lineno)

    def resolve(name: list[str]) -> list[str]:
        # [[a.b]] inside the current [[a]] entry is a.<index of a>.b
        out: list[str] = []
        for part in name:
            out.append(part)
            if tuple(out) in counts:
                out.append(str(counts[tuple(out)]))
        return out

    for lineno, raw in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(raw)
        if header:
            name = _split_dotted(header.group(2))
            if header.group(1) == "[[":
                parent = resolve(name[:-1])
                key = (*parent, name[-1])
                counts[key] = counts.get(key, -1) + 1
                table = [*key, str(counts[key])]
            else:
                table = resolve(name)
            consider(table, lineno)
            continue
        key_match = _KEY.match(raw)
        if key_match:
            consider([*table, *_split_dotted(key_match.group(1))], lineno)
    return best[1] if best else None
