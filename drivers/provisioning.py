"""Adapters and phones fetch their configuration here over HTTP, on the LAN only.

A device proves who it is with HTTP Basic credentials: its MAC (12 hex digits) and
a secret derived from the box's own key (``provisioning.key`` in the box's home,
made on first use, readable by the box only), so every device has its own and none
is written in pbx.toml; ``minipbx devices`` shows them to the installer. It gets
its own file only: another device's file is 404, as is any file to a MAC not in
``[[provisioning.devices]]``. With ``auth = "allow_list"`` no credential is asked
and the list of MACs is the only gate (for devices that cannot send one). Secrets
and file contents never reach the log. The service listens on loopback unless
``listen`` says otherwise.
"""

import base64
import hashlib
import hmac
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import uvicorn
from fastapi import Depends, FastAPI, Request, Response
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from drivers.provisioning_files import DeviceConfigError, common_file, file_for
from firmware.config import Config
from firmware.config.provisioning import YEALINK, Device

log = logging.getLogger(__name__)
REALM = "minipbx provisioning"
KEY_FILE = "provisioning.key"


def box_key(home: Path) -> bytes:
    """The key every device secret derives from; made once, kept private."""
    path = home / KEY_FILE
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as f:
            f.write(secrets.token_bytes(32))
    return path.read_bytes()


def device_secret(key: bytes, mac: str) -> str:
    digest = hmac.new(key, f"provisioning:{mac}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:24]


def provisioning_app(*, config: Callable[[], Config], key: bytes) -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    basic = HTTPBasic(auto_error=False, realm=REALM)
    refused = Response(status_code=401, headers={"WWW-Authenticate": f'Basic realm="{REALM}"'})

    def who(credentials: HTTPBasicCredentials | None) -> Device | None:
        if credentials is None:
            return None
        mac = credentials.username.lower()
        device = next((d for d in config().provisioning.devices if d.mac == mac), None)
        given = credentials.password.encode()
        if device is None or not hmac.compare_digest(given, device_secret(key, mac).encode()):
            return None
        return device

    @app.get("/{filename}")
    def fetch(
        filename: str,
        request: Request,
        credentials: Annotated[HTTPBasicCredentials | None, Depends(basic)],
    ) -> Response:
        box = config()
        client = request.client.host if request.client else "?"
        device = who(credentials)
        if box.provisioning.auth == "per_device" and device is None:
            log.warning(
                "provisioning: %s asked for %s without a valid credential", client, filename
            )
            return refused
        common = common_file(filename)
        if common is not None and (device is None or device.model in YEALINK):
            return _served(client, filename, common, "text/plain")
        try:
            found = file_for(box, filename)
        except DeviceConfigError as exc:
            log.error("provisioning: %s not served: %s", filename, exc)
            return Response(status_code=404)
        if found is None or (device is not None and found[0].mac != device.mac):
            log.warning("provisioning: %s asked for %s: not its file", client, filename)
            return Response(status_code=404)
        kind = "application/xml" if filename.endswith(".xml") else "text/plain"
        return _served(client, filename, found[1], kind)

    return app


def _served(client: str, filename: str, body: bytes, kind: str) -> Response:
    log.info("provisioning: %s fetched %s", client, filename)
    return Response(body, media_type=kind, headers={"Cache-Control": "no-store"})


class ProvisioningService:
    """The app under uvicorn in a thread of the process that starts it."""

    def __init__(self, *, config: Callable[[], Config], key: bytes) -> None:
        settings = config().provisioning
        self.address = f"{settings.listen}:{settings.port}"
        self._server = uvicorn.Server(
            uvicorn.Config(
                provisioning_app(config=config, key=key),
                host=settings.listen,
                port=settings.port,
                log_level="warning",
                access_log=False,
                lifespan="off",
            )
        )
        self._thread = threading.Thread(target=self._server.run, name="provisioning", daemon=True)
        self.error: str | None = None

    def start(self, timeout: float = 10.0) -> None:
        """Returns once the service listens; a port it cannot take is logged, not raised:
        phones not provisioned must not stop calls."""
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started and self._thread.is_alive():
            if time.monotonic() > deadline:
                break
            self._thread.join(0.05)
        if not self._server.started:
            self.error = f"could not listen on {self.address}"
            log.error("provisioning: %s", self.error)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)

    def status(self) -> dict[str, Any]:
        return {"listen": self.address, "up": bool(self._server.started), "error": self.error}
