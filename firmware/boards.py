"""Board definitions: what hardware a box has, as plain data in boards/*.toml.

``[system] board`` names one of them; ``sim`` needs no hardware at all.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

BOARDS_DIR = Path(__file__).resolve().parents[1] / "boards"


def board_names() -> list[str]:
    return sorted(p.stem for p in BOARDS_DIR.glob("*.toml"))


def load_board(name: str) -> dict[str, Any]:
    path = BOARDS_DIR / f"{name}.toml"
    if not path.is_file():
        known = ", ".join(board_names())
        raise ValueError(f"no board {name!r} (boards: {known})")
    with path.open("rb") as f:
        return tomllib.load(f)
