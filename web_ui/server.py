"""``minipbx web``: the web UI in the foreground on ``[web] address``:``port``."""

from __future__ import annotations

import sys

import uvicorn

from firmware.config import Config
from firmware.home import Home
from web_ui.accounts import Accounts
from web_ui.app import create_app
from web_ui.paths import accounts_db


def announce_first_admin(home: Home) -> None:
    """Creates the ``admin`` account at first run and prints its password, once, to stderr."""
    accounts = Accounts(accounts_db(home))
    try:
        password = accounts.create_admin_if_missing()
    finally:
        accounts.close()
    if password is not None:
        print(
            f"minipbx: the web UI's admin account was created. Login: admin, password: "
            f"{password}\n         It is shown only now; change it after signing in.",
            file=sys.stderr,
        )


def serve(home: Home, config: Config) -> int:
    announce_first_admin(home)
    settings = config.web
    app = create_app(home, settings)
    print(f"minipbx: web UI on http://{settings.address}:{settings.port}/", file=sys.stderr)
    # A console left open holds a stream: stopping waits for it only this long.
    uvicorn.run(
        app,
        host=settings.address,
        port=settings.port,
        log_level="warning",
        timeout_graceful_shutdown=2,
    )
    return 0
