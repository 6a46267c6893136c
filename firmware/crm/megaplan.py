"""Megaplan (API v3): GET /api/v3/callRoute, the call map Megaplan keeps for an incoming number.

API v3 takes a GET's parameters as JSON in the query string
(``/api/v3/callRoute?{"phone":"+74951234567"}``) and wraps every answer as
``{"meta": {"status": 200, "errors": []}, "data": ...}``. ``data`` is a
CallRoute (Megaplan's RAML, r2510): ``type`` says how its ``employees`` are
rung, ``responsible`` (the client's responsibles, in order), or ``random`` and
``all`` (a ring group, for a number Megaplan knows no responsible for);
``users`` are the clients and employees with that number. Only a
``responsible`` route names a manager: ICM takes its first employee's id. A
ring group counts as no match, as ringing its first member would be a guess.

The login (username, password, grant_type=password, form-encoded) gives a
Bearer token kept in memory until ``expires_in`` runs out or a 401 says it died.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from firmware.crm.base import Budget, CrmMatch, Http

# Megaplan publishes no limit for API v3 that we could find. Five lookups a second (one
# request each, a login now and then) is more than an office's incoming calls need and
# stays polite to a cloud account that other integrations share.
PER_SECOND = 5.0
BURST = 5
# Log in again this long before the token expires, so no request leaves with a dying one.
TOKEN_MARGIN = 60.0


class Megaplan:
    """The responsible employee Megaplan's call route names for the caller's number."""

    name = "megaplan"

    def __init__(
        self,
        *,
        url: str,
        username: str,
        password: str,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url.rstrip("/")
        host = httpx.URL(self._url).host
        self._what = f"callRoute at {host}"
        self._login_what = f"login of {username} at {host}"
        self._username = username
        self._password = password
        self._http = Http(transport=transport)
        self._http.hide(password)
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0

    def lookup(self, number: str, *, timeout: float) -> CrmMatch | None:
        budget = Budget(timeout, self._clock)
        response = self._route(number, self._bearer(budget), budget)
        if response.status_code == 401:
            self._token = None
            response = self._route(number, self._bearer(budget), budget)
        self._http.check(response, self._what)
        body = self._http.json(response, self._what)
        route = body.get("data") if isinstance(body, dict) else None
        if not isinstance(route, dict):
            raise self._http.error("bad_response", f"{self._what}: no CallRoute in data")
        employees = route.get("employees") or []
        if route.get("type") != "responsible" or not employees:
            return None
        first = employees[0]
        if not isinstance(first, dict) or first.get("id") is None:
            raise self._http.error("bad_response", f"{self._what}: an employee without id")
        return CrmMatch(user=str(first["id"]), extension=None, detail=_detail(route, first))

    def close(self) -> None:
        self._http.close()

    def _route(self, number: str, token: str, budget: Budget) -> httpx.Response:
        query = quote(json.dumps({"phone": f"+{number}"}, separators=(",", ":")), safe="")
        return self._http.send(
            "GET",
            f"{self._url}/api/v3/callRoute?{query}",
            budget=budget,
            what=self._what,
            headers={"Authorization": f"Bearer {token}"},
        )

    def _bearer(self, budget: Budget) -> str:
        if self._token is None or self._clock() >= self._expires_at:
            self._token, self._expires_at = self._login(budget)
        return self._token

    def _login(self, budget: Budget) -> tuple[str, float]:
        response = self._http.send(
            "POST",
            f"{self._url}/api/v3/auth/access_token",
            budget=budget,
            what=self._login_what,
            data={"username": self._username, "password": self._password, "grant_type": "password"},
        )
        self._http.check(response, self._login_what, credentials=True)
        body = self._http.json(response, self._login_what)
        try:
            token, lasts = str(body["access_token"]), float(body["expires_in"])
        except (KeyError, TypeError, ValueError):
            raise self._http.error(
                "bad_response", f"{self._login_what}: no access_token and expires_in"
            ) from None
        self._http.hide(token)
        return token, self._clock() + lasts - TOKEN_MARGIN


def _detail(route: dict[str, Any], employee: dict[str, Any]) -> str:
    responsible = f"responsible employee {employee['id']} {employee.get('name') or ''}".rstrip()
    clients = [
        u
        for u in route.get("users") or []
        if isinstance(u, dict) and str(u.get("contentType", "")).startswith("Contractor")
    ]
    if not clients:
        return responsible
    client = f"client {clients[0].get('id')} {clients[0].get('name') or ''}".rstrip()
    return f"{client}, {responsible}"
