"""The engine's control socket: one JSON request per line, one JSON answer per line.

It is a Unix socket, so only local users with access to the data directory
can reach it; the CLI and the web UI use it. Requests run on the engine
thread through ``EngineLoop.post``; this thread only waits for the answer.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import socketserver
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from firmware.engine.loop import EngineLoop

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], dict[str, Any]]


class ControlServer:
    def __init__(self, path: Path, loop: EngineLoop, handler: Handler) -> None:
        self.path = path
        self._loop = loop
        self._handler = handler
        self._server: socketserver.ThreadingUnixStreamServer | None = None

    def start(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists():
            self.path.unlink()
        outer = self

        class _Request(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                line = self.rfile.readline(65536)
                self.wfile.write(json.dumps(outer.answer(line)).encode() + b"\n")

        self._server = socketserver.ThreadingUnixStreamServer(str(self.path), _Request)
        os.chmod(self.path, 0o600)
        threading.Thread(target=self._server.serve_forever, name="control", daemon=True).start()

    def answer(self, line: bytes) -> dict[str, Any]:
        try:
            request = json.loads(line)
            if not isinstance(request, dict):
                raise ValueError("a request is a JSON object")
        except ValueError as exc:
            return {"ok": False, "errors": [f"bad request: {exc}"]}
        try:
            return self._loop.post(lambda: self._handler(request)).result(timeout=30)
        except Exception as exc:
            log.exception("control request failed")
            detail = exc.info() if hasattr(exc, "info") else str(exc)
            return {"ok": False, "errors": [detail or type(exc).__name__]}

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        self.path.unlink(missing_ok=True)


def send_command(path: Path, request: dict[str, Any], *, timeout: float = 35.0) -> dict[str, Any]:
    """The client side, used by the CLI."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(path))
        sock.sendall(json.dumps(request).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    answer: dict[str, Any] = json.loads(data)  # the server answers every request with an object
    return answer
