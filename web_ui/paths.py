"""Where the web UI keeps its files in the box's home: ``web/``, readable by the box only."""

from __future__ import annotations

from pathlib import Path

from firmware.home import Home


def web_dir(home: Home) -> Path:
    return home.root / "web"


def secret_file(home: Home) -> Path:
    """The key that signs session cookies."""
    return web_dir(home) / "session.key"


def accounts_db(home: Home) -> Path:
    """Web passwords (argon2 hashes), apart from pbx.toml's SIP passwords."""
    return web_dir(home) / "accounts.db"
