"""What every route of the web UI reaches: the box's files, the engine, and the guards."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates

from firmware.config import ConfigError
from firmware.home import Home
from web_ui.accounts import Accounts, Viewer
from web_ui.config_file import ConfigFile, Snapshot
from web_ui.engine_link import EngineLink
from web_ui.guard import CSRF_FIELD, Clock, LoginLimiter, new_csrf_token

log = logging.getLogger("web_ui")

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


@dataclass
class Web:
    home: Home
    accounts: Accounts
    config_file: ConfigFile
    engine: EngineLink
    limiter: LoginLimiter
    templates: Jinja2Templates
    clock: Clock

    def render(self, request: Request, template: str, status: int = 200, **values: Any) -> Any:
        """A page with what every page needs: who is signed in, the CSRF token, the nav."""
        values.setdefault("viewer", current_viewer(request))
        values.setdefault("flash", None)
        return self.templates.TemplateResponse(
            request, template, {"csrf": csrf_token(request), **values}, status_code=status
        )


def web_of(request: Request) -> Web:
    web: Web = request.app.state.web
    return web


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use (a visitor at the sign-in page has one)."""
    token = request.session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = new_csrf_token()
        request.session[CSRF_FIELD] = token
    return token


def snapshot_or_none(request: Request) -> Snapshot | None:
    """pbx.toml now; None when it is broken by hand (pages then say so)."""
    try:
        return web_of(request).config_file.read()
    except (ConfigError, OSError):
        return None


def current_viewer(request: Request) -> Viewer | None:
    login = request.session.get("login")
    if not isinstance(login, str):
        return None
    snapshot = snapshot_or_none(request)
    return web_of(request).accounts.viewer(login, snapshot.config if snapshot else None)
