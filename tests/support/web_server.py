"""The web UI served for a browser test: uvicorn on a free loopback port, in a thread of
the test process, stopped (and joined) when the test ends."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from tests.support.net import free_port
from tests.support.wait import wait_until


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """The app's base URL while it is served."""
    port = free_port("tcp")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="web-ui", daemon=True)
    thread.start()

    def listening() -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    try:
        wait_until(listening, timeout=10, what="the web UI listening")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
