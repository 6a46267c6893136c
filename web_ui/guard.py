"""The web UI's guards: the session secret, sign-in rate limits and CSRF tokens.

Sessions are signed cookies (Starlette's SessionMiddleware, itsdangerous);
the key is generated at first run and kept 0600 in the box's data directory,
so restarting the web UI keeps people signed in and no two boxes share it.
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections import deque
from collections.abc import Callable
from pathlib import Path

Clock = Callable[[], float]

CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


def session_secret(path: Path) -> str:
    """The signing key in ``path``, written (0600) on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_hex(32))
    return path.read_text().strip()


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_matches(expected: object, given: object) -> bool:
    return (
        isinstance(expected, str)
        and isinstance(given, str)
        and bool(expected)
        and hmac.compare_digest(expected, given)
    )


class LoginLimiter:
    """At most ``attempts`` failed sign-ins per source address within ``window`` seconds."""

    def __init__(self, *, attempts: int, window: float, clock: Clock) -> None:
        self.attempts = attempts
        self.window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def blocked_for(self, source: str) -> float:
        """Seconds until ``source`` may try again; 0 when it may now."""
        failures = self._recent(source)
        if len(failures) < self.attempts:
            return 0.0
        return max(failures[0] + self.window - self._clock(), 0.0)

    def failed(self, source: str) -> None:
        self._recent(source).append(self._clock())

    def succeeded(self, source: str) -> None:
        self._failures.pop(source, None)

    def _recent(self, source: str) -> deque[float]:
        failures = self._failures.setdefault(source, deque())
        while failures and failures[0] <= self._clock() - self.window:
            failures.popleft()
        return failures
