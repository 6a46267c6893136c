"""Builds the web UI: one FastAPI app over one box's home, its guards and its pages."""

from __future__ import annotations

import time
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from firmware.config.web import Web as WebSettings
from firmware.home import Home
from firmware.prompts import BUILT_DIR
from firmware.prompts.library import PromptLibrary
from web_ui.accounts import Accounts
from web_ui.config_file import ConfigFile
from web_ui.context import STATIC, TEMPLATES, Web, current_viewer, web_of
from web_ui.deps import SignInNeededError, csrf_checked
from web_ui.engine_link import EngineLink
from web_ui.guard import Clock, LoginLimiter, session_secret
from web_ui.paths import accounts_db, secret_file, web_dir
from web_ui.routes import (
    auth,
    console,
    departments,
    employees,
    hardware,
    icm,
    me,
    modes,
    numbers,
    prompts,
    recordings,
    reports,
    trunks,
)

PAGE_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def create_app(home: Home, settings: WebSettings, *, clock: Clock = time.monotonic) -> FastAPI:
    """``clock`` times sign-in limits; tests pass their own."""
    app = FastAPI(
        title="minipbx",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(csrf_checked)],
    )
    web_dir(home).mkdir(mode=0o700, parents=True, exist_ok=True)
    app.state.web = Web(
        home=home,
        accounts=Accounts(accounts_db(home)),
        config_file=ConfigFile(
            home.config, PromptLibrary(built=BUILT_DIR, custom=home.custom_prompts)
        ),
        engine=EngineLink(home.control_socket),
        limiter=LoginLimiter(
            attempts=settings.login_attempts, window=settings.login_window, clock=clock
        ),
        templates=Jinja2Templates(directory=TEMPLATES),
        clock=clock,
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(secret_file(home)),
        session_cookie="minipbx_session",
        max_age=int(settings.session_hours * 3600),
        same_site="strict",
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (
        *(auth, employees, departments, numbers, trunks, modes, icm, prompts, hardware),
        *(reports, recordings, console, me),
    ):
        app.include_router(module.router)

    @app.middleware("http")
    async def _page_headers(request: Request, call_next: Any) -> Any:
        """No framing by other sites (clicks on the console cannot be hijacked), scripts
        only from the box itself, and pages are not cached (they show live state)."""
        response = await call_next(request)
        response.headers.update(PAGE_HEADERS)
        return response

    @app.exception_handler(SignInNeededError)
    def _sign_in(request: Request, exc: SignInNeededError) -> Any:
        if request.headers.get("hx-request"):
            return RedirectResponse("/login", status_code=303, headers={"HX-Redirect": "/login"})
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(HTTPException)
    def _refused(request: Request, exc: HTTPException) -> Any:
        return web_of(request).render(
            request, "error.html", status=exc.status_code, message=exc.detail
        )

    @app.get("/")
    def home_page(request: Request) -> RedirectResponse:
        viewer = current_viewer(request)
        if viewer is None:
            return RedirectResponse("/login", status_code=303)
        return RedirectResponse("/console" if viewer.role == "admin" else "/me", status_code=303)

    return app
