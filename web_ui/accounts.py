"""Who may sign in to the web UI: the ``admin`` account and employees by extension number.

Web passwords live in their own SQLite file as argon2 hashes, apart from the
SIP passwords in pbx.toml: a phone's password never opens the web UI, and the
web UI never needs to show or compare a SIP password. The ``admin`` password
is generated at first run and handed to the caller once, so no box ships
with a password that works anywhere else.
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from firmware.config import Config
from firmware.store.db import make_private

ADMIN = "admin"
MIN_LENGTH = 10

Role = Literal["admin", "user"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS web_accounts (
    login TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class Viewer:
    """Someone signed in: their login, their role now, and their extension if they have one."""

    login: str
    role: Role
    name: str

    @property
    def extension(self) -> str | None:
        return None if self.login == ADMIN else self.login


def new_password() -> str:
    """A password to hand out once: 16 URL-safe characters, about 96 bits."""
    return secrets.token_urlsafe(12)


def password_problem(password: str, login: str) -> str | None:
    """Why a chosen web password is refused, or None."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters"
    if password.isdigit() or login in password:
        return "too easy to guess (digits only, or contains the login)"
    return None


class Accounts:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        make_private(path)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute(_SCHEMA)
        self._hasher = PasswordHasher()

    def close(self) -> None:
        self._conn.close()

    def create_admin_if_missing(self) -> str | None:
        """The first admin password, generated now; None when the admin account exists."""
        if self._hash(ADMIN) is not None:
            return None
        password = new_password()
        self.set_password(ADMIN, password)
        return password

    def set_password(self, login: str, password: str) -> None:
        self._conn.execute(
            "INSERT INTO web_accounts (login, password_hash) VALUES (?, ?) "
            "ON CONFLICT (login) DO UPDATE SET password_hash = excluded.password_hash",
            (login, self._hasher.hash(password)),
        )

    def has_password(self, login: str) -> bool:
        return self._hash(login) is not None

    def remove(self, login: str) -> None:
        self._conn.execute("DELETE FROM web_accounts WHERE login = ?", (login,))

    def check(self, login: str, password: str) -> bool:
        stored = self._hash(login)
        if stored is None:
            # Spend the same time as a real check, so timing does not tell which logins exist.
            self._hasher.hash(password)
            return False
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def viewer(self, login: str, config: Config | None) -> Viewer | None:
        """Who ``login`` is under ``config``: an employee removed from pbx.toml is nobody,
        and while pbx.toml is broken (``config`` None) only the admin, who can mend it."""
        if login == ADMIN:
            return Viewer(ADMIN, "admin", "Administrator")
        extension = config.extension(login) if config is not None else None
        if extension is None or not self.has_password(login):
            return None
        return Viewer(login, extension.role, extension.name)

    def _hash(self, login: str) -> str | None:
        row = self._conn.execute(
            "SELECT password_hash FROM web_accounts WHERE login = ?", (login,)
        ).fetchone()
        return None if row is None else str(row[0])
