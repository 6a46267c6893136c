"""amoCRM (API v4): the responsible user of the contact, else the company, with the number.

``query`` searches every field, so a hit counts only when one of its PHONE
values really is the caller's number (an INN or a deal number can hold the same
digits). amoCRM keeps numbers as they were typed, so the query is the last ten
digits, the part "+7 495 …", "8 (495) …" and "495…" share. No hit is HTTP 204
with an empty body.

Two ways in: a long-lived token, or OAuth, whose access token lasts a day and
whose refresh token is good for one use. Each refresh hands out a new pair,
saved to ``token_file`` before it is used: a crash must not lose the only
refresh token that still works.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx

from firmware.crm.base import Budget, CrmMatch, Http, phone_tail, same_phone

log = logging.getLogger(__name__)

# amoCRM allows 7 requests/s; a lookup that finds no contact makes two.
PER_SECOND = 7 / 2
BURST = 3
# Refresh this long before amoCRM's expiry, so no request leaves with a token about to die.
TOKEN_MARGIN = 60.0

_SINGULAR = {"contacts": "contact", "companies": "company"}


class Auth(Protocol):
    """Where the Bearer token comes from, and a new one after a 401."""

    def bearer(self, http: Http, budget: Budget) -> str: ...

    def renew(self, stale: str, http: Http, budget: Budget) -> str | None: ...


class LongLivedToken:
    """A token made in the integration's settings in amoCRM: there is nothing to renew."""

    def __init__(self, token: str) -> None:
        self._token = token

    def bearer(self, http: Http, budget: Budget) -> str:
        http.hide(self._token)
        return self._token

    def renew(self, stale: str, http: Http, budget: Budget) -> None:
        return None


@dataclass(frozen=True)
class _Tokens:
    access: str
    refresh: str
    expires_at: float


class OAuthTokens:
    """OAuth tokens kept in ``token_file`` (JSON: access_token, refresh_token, expires_at).

    Until the file exists the first refresh uses ``refresh_token`` from pbx.toml.
    ``wall_clock`` is Unix time, as the file outlives the process.
    """

    def __init__(
        self,
        *,
        url: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        token_file: Path,
        refresh_token: str | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._url = url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._redirect_uri = redirect_uri
        self._token_file = token_file
        self._first_refresh = refresh_token
        self._wall_clock = wall_clock
        self._tokens: _Tokens | None = None
        self._lock = threading.Lock()

    def bearer(self, http: Http, budget: Budget) -> str:
        with self._lock:
            tokens = self._tokens or self._load(http)
            if self._expired(tokens):
                tokens = self._load(http)  # `minipbx explain` may have refreshed it
                if self._expired(tokens):
                    tokens = self._refresh(tokens.refresh, http, budget)
            return tokens.access

    def renew(self, stale: str, http: Http, budget: Budget) -> str:
        with self._lock:
            # The file is the truth: another lookup, or `minipbx explain` in another
            # process, may have renewed the pair and so killed the refresh token we hold.
            tokens = self._load(http)
            if tokens.access != stale:
                return tokens.access
            return self._refresh(tokens.refresh, http, budget).access

    def _expired(self, tokens: _Tokens) -> bool:
        return tokens.expires_at - TOKEN_MARGIN <= self._wall_clock()

    def _load(self, http: Http) -> _Tokens:
        http.hide(self._client_secret, self._first_refresh)
        path = self._token_file
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            tokens = _Tokens(
                str(stored["access_token"]),
                str(stored["refresh_token"]),
                float(stored["expires_at"]),
            )
        except FileNotFoundError:
            if self._tokens is not None:  # a pair that could not be saved: memory is all
                return self._tokens
            if not self._first_refresh:
                raise http.error(
                    "auth", f"no {path} yet and no refresh_token in [icm.amocrm] to start from"
                ) from None
            tokens = _Tokens("", self._first_refresh, 0.0)
        except OSError as exc:
            raise http.error("auth", f"cannot read {path}: {exc.strerror}") from None
        except (ValueError, KeyError, TypeError):
            raise http.error(
                "auth", f"{path} holds no access_token, refresh_token and expires_at"
            ) from None
        http.hide(tokens.access, tokens.refresh)
        self._tokens = tokens
        return tokens

    def _refresh(self, refresh: str, http: Http, budget: Budget) -> _Tokens:
        what = f"token refresh at {httpx.URL(self._url).host}"
        response = http.send(
            "POST",
            f"{self._url}/oauth2/access_token",
            budget=budget,
            what=what,
            json={
                "client_id": self._client_id,
                "client_secret": self._client_secret,
                "grant_type": "refresh_token",
                "refresh_token": refresh,
                "redirect_uri": self._redirect_uri,
            },
        )
        http.check(response, what, credentials=True)
        body = http.json(response, what)
        try:
            tokens = _Tokens(
                str(body["access_token"]),
                str(body["refresh_token"]),
                self._wall_clock() + float(body["expires_in"]),
            )
        except (KeyError, TypeError, ValueError):
            raise http.error(
                "bad_response", f"{what}: no access_token, refresh_token, expires_in"
            ) from None
        http.hide(tokens.access, tokens.refresh)
        self._save(tokens)
        self._tokens = tokens
        return tokens

    def _save(self, tokens: _Tokens) -> None:
        """Replaces the token file at once (a temporary file beside it, then os.replace), 0600."""
        path = self._token_file
        stored = {
            "access_token": tokens.access,
            "refresh_token": tokens.refresh,
            "expires_at": tokens.expires_at,
        }
        try:
            fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    json.dump(stored, out)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
                raise
        except OSError as exc:
            # The old refresh token is dead already: keeping the new pair in memory is all
            # that is left, until a restart.
            log.error("cannot save the new amoCRM tokens to %s: %s", path, exc.strerror)


class AmoCrm:
    """amoCRM's contacts, then companies, searched by the caller's number."""

    name = "amocrm"

    def __init__(
        self,
        *,
        url: str,
        auth: Auth,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = url.rstrip("/")
        self._host = httpx.URL(self._url).host
        self._auth = auth
        self._http = Http(transport=transport)
        self._clock = clock

    def lookup(self, number: str, *, timeout: float) -> CrmMatch | None:
        budget = Budget(timeout, self._clock)
        for entities in ("contacts", "companies"):
            found = self._search(entities, number, budget)
            if found is not None:
                return found
        return None

    def close(self) -> None:
        self._http.close()

    def _search(self, entities: str, number: str, budget: Budget) -> CrmMatch | None:
        what = f"{entities} search at {self._host}"
        response = self._get(f"{self._url}/api/v4/{entities}", phone_tail(number), budget, what)
        if response.status_code == 204:
            return None
        body = self._http.json(response, what)
        embedded = body.get("_embedded") if isinstance(body, dict) else None
        listed = embedded.get(entities) if isinstance(embedded, dict) else None
        if not isinstance(listed, list):
            raise self._http.error("bad_response", f"{what}: no _embedded.{entities} list")
        for entity in listed:
            if isinstance(entity, dict) and any(same_phone(p, number) for p in _phones(entity)):
                return _match(_SINGULAR[entities], entity)
        return None

    def _get(self, url: str, query: str, budget: Budget, what: str) -> httpx.Response:
        token = self._auth.bearer(self._http, budget)
        response = self._send(url, query, token, budget, what)
        if response.status_code == 401:
            renewed = self._auth.renew(token, self._http, budget)
            if renewed is not None:
                response = self._send(url, query, renewed, budget, what)
        self._http.check(response, what)
        return response

    def _send(self, url: str, query: str, token: str, budget: Budget, what: str) -> httpx.Response:
        return self._http.send(
            "GET",
            url,
            budget=budget,
            what=what,
            params={"query": query},
            headers={"Authorization": f"Bearer {token}"},
        )


def _phones(entity: dict[str, Any]) -> list[str]:
    fields = entity.get("custom_fields_values") or []
    return [
        str(value.get("value", ""))
        for field in fields
        if isinstance(field, dict) and field.get("field_code") == "PHONE"
        for value in field.get("values") or []
        if isinstance(value, dict)
    ]


def _match(kind: str, entity: dict[str, Any]) -> CrmMatch:
    responsible = entity.get("responsible_user_id")
    name = entity.get("name") or ""
    return CrmMatch(
        user=None if responsible is None else str(responsible),
        extension=None,
        detail=f"{kind} {entity.get('id')} {name}".rstrip(),
    )
