"""Key paths as installers read them, for every TOML file the box checks (pbx.toml, boards).

Apart from firmware.config, so boards/*.toml, which pbx.toml's schema reads,
can name its keys the same way without importing the config package.
"""

from __future__ import annotations

Path = tuple[str | int, ...]


def format_path(path: Path) -> str:
    """Render a key path the way it reads in TOML: ``extensions[2].password``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "(top level)"
