"""What every CRM client shares: its answer, its error, its shape, and how HTTP failures are named.

The three clients differ in URLs and JSON only; how a timeout, a refusal or a
garbled answer becomes a ``CrmError`` is decided once, in ``Http``, so the
decision trail reads the same whichever CRM failed. Messages never carry a
secret: ``Http`` blanks every token, password and webhook code it was told of.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import httpx

# httpx logs every request's URL at INFO, and a Bitrix24 webhook's URL is its secret.
logging.getLogger("httpx").setLevel(logging.WARNING)

Kind = Literal["timeout", "auth", "rate_limited", "unreachable", "bad_response"]

# Enough to tell +7 495 123-45-67, 8 (495) 123-45-67 and 4951234567 for one number.
SAME_PHONE_DIGITS = 10


@dataclass(frozen=True)
class CrmMatch:
    """Who the CRM says is responsible for a caller.

    ``user`` is the CRM's id of the responsible user, ``extension`` an
    extension the CRM itself states (Bitrix24's inner phone), ``detail`` what
    matched, for the decision trail ("contact 4711 Ivan Petrov").
    """

    user: str | None
    extension: str | None
    detail: str


class CrmError(Exception):
    """A lookup that got no answer; ``kind`` is what ICM's trail and status show."""

    def __init__(self, kind: Kind, message: str) -> None:
        super().__init__(message)
        self.kind: Kind = kind


class Client(Protocol):
    """One CRM's API. ``number`` is E.164 digits without "+"; None means no match."""

    name: str

    def lookup(self, number: str, *, timeout: float) -> CrmMatch | None: ...

    def close(self) -> None: ...


def digits(text: str) -> str:
    return "".join(c for c in text if c in "0123456789")


def phone_tail(text: str) -> str:
    """The digits every way of writing one number shares (the last ten)."""
    return digits(text)[-SAME_PHONE_DIGITS:]


def same_phone(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` are one number however they were written."""
    tail = phone_tail(a)
    return bool(tail) and tail == phone_tail(b)


def refusal_kind(status: int, error_code: str = "") -> Kind:
    """What a non-2xx answer means for ICM; Bitrix24 says "too many" with 503 and a code."""
    if status in (401, 403):
        return "auth"
    if status == 429 or error_code == "QUERY_LIMIT_EXCEEDED":
        return "rate_limited"
    if status >= 500:
        return "unreachable"
    return "bad_response"


class Budget:
    """What is left of one lookup's time: a second request gets the rest, not a new timeout."""

    def __init__(self, timeout: float, clock: Callable[[], float]) -> None:
        self.timeout = timeout
        self._clock = clock
        self._end = clock() + timeout

    def left(self) -> float:
        return self._end - self._clock()


class Http:
    """One CRM's HTTP client: requests within a budget, failures as ``CrmError`` kinds."""

    def __init__(self, *, transport: httpx.BaseTransport | None = None) -> None:
        self._client = httpx.Client(transport=transport)
        self._secrets: set[str] = set()

    def hide(self, *secrets: str | None) -> None:
        """Blank these wherever they would appear in a message (tokens, passwords, codes)."""
        self._secrets.update(s for s in secrets if s)

    def send(
        self, method: str, url: str, *, budget: Budget, what: str, **options: Any
    ) -> httpx.Response:
        """The answer to one request, whatever its status; raises when there is none."""
        left = budget.left()
        if left <= 0:
            raise self.error("timeout", f"{what}: the lookup's {budget.timeout:g} s are used up")
        try:
            return self._client.request(method, url, timeout=left, **options)
        except httpx.TimeoutException:
            raise self.error("timeout", f"{what}: no answer within {left:.2f} s") from None
        except httpx.TransportError as exc:
            raise self.error("unreachable", f"{what}: {_why(exc)}") from None
        except httpx.RequestError as exc:  # a body that would not decode, say
            raise self.error("bad_response", f"{what}: {_why(exc)}") from None

    def check(self, response: httpx.Response, what: str, *, credentials: bool = False) -> None:
        """Raises the ``CrmError`` a refusal means; a 2xx answer passes.

        ``credentials`` is for a token endpoint, where any other 4xx than 429
        (400 invalid_grant, mostly) means the login or refresh token was refused.
        """
        if response.is_success:
            return
        code, words = _complaint(response)
        words = self._blank(words)[:200]  # blanked first: a cut must not leave half a secret
        said = f": {words}" if words else ""
        kind = refusal_kind(response.status_code, code)
        if credentials and kind == "bad_response":
            kind = "auth"
        raise self.error(kind, f"{what}: HTTP {response.status_code}{said}")

    def json(self, response: httpx.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError:
            given = response.headers.get("content-type", "no content type")
            raise self.error(
                "bad_response", f"{what}: not JSON ({given}, {len(response.content)} bytes)"
            ) from None

    def error(self, kind: Kind, message: str) -> CrmError:
        return CrmError(kind, self._blank(message))

    def _blank(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def close(self) -> None:
        self._client.close()


def _why(exc: Exception) -> str:
    return str(exc) or type(exc).__name__


def _complaint(response: httpx.Response) -> tuple[str, str]:
    """The error code and words a refusal's body holds: Bitrix24's error and
    error_description, amoCRM's problem+json title and detail, Megaplan's meta.errors."""
    try:
        body = response.json()
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    words = [body.get(key) for key in ("error", "error_description", "title", "detail", "hint")]
    meta = body.get("meta")
    errors = meta.get("errors") if isinstance(meta, dict) else None
    if isinstance(errors, list):
        words += [e.get("message") for e in errors if isinstance(e, dict)]
    code = body.get("error")
    text = "; ".join(w for w in words if isinstance(w, str) and w)
    return (code if isinstance(code, str) else ""), text
