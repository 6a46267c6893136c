"""Signing in and out. Failed attempts are counted per source address and then refused
for a while; passwords are never logged, and a session gets a fresh CSRF token at sign-in."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from web_ui.context import current_viewer, log, web_of
from web_ui.guard import CSRF_FIELD, new_csrf_token

router = APIRouter()


@router.get("/login")
def login_page(request: Request) -> Any:
    return web_of(request).render(request, "login.html", viewer=None, error=None)


@router.post("/login")
async def login(request: Request) -> Any:
    web = web_of(request)
    form = await request.form()
    login_name, password = str(form.get("login", "")).strip(), str(form.get("password", ""))
    source = request.client.host if request.client else "?"
    wait = web.limiter.blocked_for(source)
    if wait > 0:
        log.warning("web sign-in refused for %s: too many failed attempts", source)
        error = f"Too many failed attempts from your address. Try again in {wait:.0f} s."
        return web.render(request, "login.html", status=429, viewer=None, error=error)
    viewer = None
    if web.accounts.check(login_name, password):
        request.session["login"] = login_name
        viewer = current_viewer(request)
    if viewer is None:
        request.session.pop("login", None)
        web.limiter.failed(source)
        log.warning("web sign-in failed for %r from %s", login_name, source)
        error = "Wrong login or password."
        return web.render(request, "login.html", status=401, viewer=None, error=error)
    web.limiter.succeeded(source)
    request.session[CSRF_FIELD] = new_csrf_token()
    log.info("web sign-in: %s (%s) from %s", viewer.login, viewer.role, source)
    return RedirectResponse("/", status_code=303)


@router.post("/logout")
def logout(request: Request) -> RedirectResponse:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)
