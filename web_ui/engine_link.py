"""The engine's control socket as the web UI uses it: a dead engine is an answer, not a crash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from firmware.engine.control import send_command

#: A page waits this long for the engine; a busy engine must not hang the UI.
TIMEOUT = 5.0


class EngineLink:
    def __init__(self, socket: Path) -> None:
        self.socket = socket

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        """The engine's answer; ``ok`` False with the reason when it cannot be asked."""
        try:
            return send_command(self.socket, request, timeout=TIMEOUT)
        except (OSError, ValueError) as exc:
            return {"ok": False, "errors": [f"the engine does not answer ({exc})"], "down": True}
