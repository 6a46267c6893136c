"""The ``[web]`` section of pbx.toml: where the web UI listens and how it guards sign-in.

Loopback by default, like every listener but SIP: an installer opens it to the
LAN by setting ``address`` to the box's LAN address.
"""

from __future__ import annotations

from pydantic import Field

from firmware.config.base import IpAddress, Section


class Web(Section):
    address: IpAddress = Field("127.0.0.1", description="where the web UI listens")
    port: int = Field(8080, ge=1, le=65535)
    session_hours: float = Field(12, gt=0, le=720, description="a sign-in lasts this long")
    login_attempts: int = Field(
        5, ge=1, le=100, description="failed sign-ins allowed per source address per window"
    )
    login_window: float = Field(300, gt=0, le=86400, description="seconds the count covers")
