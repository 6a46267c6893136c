"""Route guards, enforced on the server for every route: who is signed in, their role, CSRF."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from web_ui.accounts import Viewer
from web_ui.context import current_viewer
from web_ui.guard import CSRF_FIELD, CSRF_HEADER, csrf_matches


class SignInNeededError(Exception):
    """Nobody is signed in: pages send the visitor to the sign-in page."""


def signed_in(request: Request) -> Viewer:
    viewer = current_viewer(request)
    if viewer is None:
        raise SignInNeededError
    return viewer


def admin_only(viewer: Annotated[Viewer, Depends(signed_in)]) -> Viewer:
    if viewer.role != "admin":
        raise HTTPException(403, "this page is for administrators")
    return viewer


def employee_only(viewer: Annotated[Viewer, Depends(signed_in)]) -> Viewer:
    """Self-service pages: someone with an extension (the admin account has none)."""
    if viewer.extension is None:
        raise HTTPException(403, "this page is for employees with an extension")
    return viewer


async def csrf_checked(request: Request) -> None:
    """Every POST carries the session's token, in the form or in htmx's header."""
    if request.method != "POST":
        return
    form = await request.form()
    given = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD)
    if not csrf_matches(request.session.get(CSRF_FIELD), given):
        raise HTTPException(403, "the form has expired or did not come from this site")


Admin = Annotated[Viewer, Depends(admin_only)]
Employee = Annotated[Viewer, Depends(employee_only)]
SignedIn = Annotated[Viewer, Depends(signed_in)]
