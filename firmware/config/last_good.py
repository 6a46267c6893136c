"""The last pbx.toml the engine ran with, so a restart never loses a working office.

An installer may save a broken pbx.toml and not reload; the running engine
keeps its config, but an engine restarted after a crash would read the broken
file and fail at start, again and again, until the supervisor gave up and the
box went silent. So the engine keeps a copy of every file it accepted and, when
pbx.toml is refused at start, serves with that copy and says so loudly.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from firmware.config.errors import ConfigError
from firmware.config.load import load_config, parse_config
from firmware.config.schema import Config

log = logging.getLogger(__name__)


def keep(text: str, copy: Path) -> None:
    """Stores ``text`` as the last good config, atomically and readable by the box only."""
    copy.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=copy.parent, prefix=".last-good-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, copy)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_for_engine(path: Path, copy: Path) -> Config:
    """pbx.toml if it is good (kept as the last good one), else the last good copy.

    Raises the file's own ConfigError when there is no good copy to fall back on.
    """
    try:
        config = load_config(path)
    except ConfigError as exc:
        if not copy.exists():
            raise
        log.error(
            "%s refused, serving with the last good configuration %s until it is fixed:\n%s",
            path,
            copy,
            exc.render(),
        )
        return parse_config(copy.read_text(encoding="utf-8"), str(copy))
    keep(path.read_text(encoding="utf-8"), copy)
    return config
