"""``[provisioning]``: configuration files for analog adapters and desk phones, by MAC.

Each ``[[provisioning.devices]]`` names a device by its MAC and model and says what
it carries: an adapter's FXS ports (an extension each, in port order) and its FXO
port (a ``kind = "fxo"`` trunk), a phone's line extension and the extensions its
keys watch (BLF).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator

from firmware.config.base import ExtensionNumber, IpAddress, Section

GRANDSTREAM = ("ht801", "ht802", "ht813")
CISCO = ("spa112", "spa122")
#: Yealink models and the number their firmware and common file (y000000000NNN.cfg) carry.
YEALINK = {"t27g": 69, "t31p": 124, "t33g": 124, "t46u": 108, "t48u": 108, "t54w": 96}
#: FXS ports of each adapter, and whether it has an FXO port.
FXS_PORTS = {"ht801": 1, "ht802": 2, "ht813": 1, "spa112": 2, "spa122": 2}
HAS_FXO = {"ht813"}


def _mac(value: str) -> str:
    digits = re.sub(r"[:.-]", "", value).lower()
    if not re.fullmatch(r"[0-9a-f]{12}", digits):
        raise ValueError(f"{value!r} is not a MAC address (12 hex digits)")
    return digits


Mac = Annotated[str, AfterValidator(_mac)]
Model = Literal[
    "ht801", "ht802", "ht813", "spa112", "spa122", "t27g", "t31p", "t33g", "t46u", "t48u", "t54w"
]


class Device(Section):
    mac: Mac
    model: Model
    ports: list[ExtensionNumber] = Field(
        default_factory=list, description="an adapter's FXS ports, in order: the extension on each"
    )
    line: str | None = Field(None, description="an adapter's FXO port: a kind = 'fxo' trunk")
    extension: ExtensionNumber | None = Field(None, description="a phone's own extension")
    blf: list[ExtensionNumber] = Field(
        default_factory=list, description="extensions a phone's keys show busy or ringing"
    )
    rings_before_answer: int = Field(
        2, ge=1, le=10, description="FXO: rings before answering, so the caller ID is read"
    )


class Provisioning(Section):
    enabled: bool = False
    listen: IpAddress = Field("127.0.0.1", description="address the service listens on (the LAN's)")
    port: int = Field(8089, ge=1, le=65535)
    auth: Literal["per_device", "allow_list"] = "per_device"
    devices: list[Device] = []

    @field_validator("devices")
    @classmethod
    def _one_entry_per_mac(cls, devices: list[Device]) -> list[Device]:
        seen: set[str] = set()
        for device in devices:
            if device.mac in seen:
                raise ValueError(f"MAC {device.mac} is listed twice")
            seen.add(device.mac)
        return devices
