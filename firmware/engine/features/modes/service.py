"""The operating mode the box is in: the schedule, or what an extension forced with *80.

A forced mode is kept in the store, so a restart does not undo what the
receptionist set; it lasts until the next scheduled change or a release.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import datetime

from firmware.config import Config
from firmware.routing.modes import ForceMode, ModeOverride, ReleaseMode, effective_mode, force
from firmware.store.cdr import now

_KEY = "mode_override"


class ModeKeeper:
    def __init__(
        self,
        store: sqlite3.Connection,
        config: Callable[[], Config],
        *,
        clock: Callable[[], datetime] = now,
    ) -> None:
        """``clock``: the time a forced mode runs out by; tests fix it."""
        self._store = store
        self._config = config
        self._clock = clock
        self._override = self._load()

    @property
    def override(self) -> ModeOverride | None:
        until = self._override.until if self._override else None
        if until is not None and until <= self._clock():
            self._save(None)
        return self._override

    def apply(self, action: ForceMode | ReleaseMode, by: str, at: datetime) -> None:
        if isinstance(action, ForceMode):
            self._save(force(self._config().modes, action.mode, at, by))
        else:
            self._save(None)

    def describe(self, at: datetime) -> dict[str, object]:
        override = self.override
        mode, why = effective_mode(self._config().modes, at, override)
        forced = None
        if override is not None:
            until = override.until.isoformat() if override.until else None
            forced = {"mode": override.mode, "until": until, "by": override.by}
        return {"mode": mode, "why": why, "override": forced}

    def _load(self) -> ModeOverride | None:
        row = self._store.execute("SELECT value FROM box_state WHERE key = ?", (_KEY,)).fetchone()
        if row is None or not row[0]:
            return None
        data = json.loads(row[0])
        until = datetime.fromisoformat(data["until"]) if data.get("until") else None
        return ModeOverride(data["mode"], until, data.get("by"))

    def _save(self, override: ModeOverride | None) -> None:
        self._override = override
        value = ""
        if override is not None:
            value = json.dumps(
                {
                    "mode": override.mode,
                    "until": override.until.isoformat() if override.until else None,
                    "by": override.by,
                }
            )
        self._store.execute(
            "INSERT INTO box_state (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
            "updated_at = excluded.updated_at",
            (_KEY, value, now().isoformat()),
        )
