"""One save from a form: the edit applied to pbx.toml, then the box reloaded.

A refused edit (stale, or a file the loader rejects) changes nothing and comes
back as the problems to show; an accepted one is applied with the control
socket's ``reload``, whose answer the page reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import HTTPException
from tomlkit import TOMLDocument

from firmware.config import Config, ConfigError
from web_ui.accounts import Viewer
from web_ui.config_file import Edit, StaleEditError
from web_ui.context import Web, log
from web_ui.forms import Problems, config_problems, entries, index_of


@dataclass(frozen=True)
class Saved:
    config: Config
    note: str


def save(
    web: Web,
    viewer: Viewer,
    *,
    version: str,
    edit: Edit,
    prefix: str,
    what: str,
    place: Callable[[ConfigError], Problems] | None = None,
) -> Saved | Problems:
    """``prefix`` is the key path of the entry the form edits (``extensions[3]``); its
    problems go on the form's fields, or where ``place`` puts them."""
    try:
        config = web.config_file.save(version, edit)
    except StaleEditError as exc:
        return Problems(general=[str(exc)])
    except ConfigError as exc:
        return place(exc) if place else config_problems(exc, prefix)
    log.info("pbx.toml saved from the web UI by %s: %s", viewer.login, what)
    answer = web.engine.ask({"cmd": "reload"})
    if answer.get("ok"):
        later = ", ".join(f"[{key}]" for key in answer.get("restart_needed", []))
        note = f" {later} takes effect when the box restarts." if later else ""
        return Saved(config, f"Saved and applied: {what}.{note}")
    reasons = "; ".join(answer.get("errors", []))
    return Saved(config, f"Saved: {what}. The running box did not apply it yet ({reasons}).")


def remove_entry(
    web: Web, viewer: Viewer, *, version: str, table: str, key: str, value: str, what: str
) -> Saved | Problems:
    """Removes the ``[[table]]`` entry whose ``key`` is ``value`` from pbx.toml, as any
    save does (validated, atomic, reloaded); 404 when there is none. ``what`` names the
    entry to people ("trunk", "door")."""

    def edit(document: TOMLDocument) -> None:
        at = index_of(document, table, key, value)
        if at is None:
            raise HTTPException(404, f"no {what} {value}")
        del entries(document, table)[at]

    return save(web, viewer, version=version, edit=edit, prefix="", what=f"{what} {value} removed")
