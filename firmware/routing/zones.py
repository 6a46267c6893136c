"""Paging zones: which dialed code pages which zone, and how urgently."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from firmware.config.schema import Config


@dataclass(frozen=True)
class PageZone:
    zone: str
    urgency: Literal["page", "emergency"]


def zone_page(config: Config, dialed: str) -> PageZone | None:
    """The zone ``dialed`` pages; None when it is no paging code."""
    paging = config.paging
    for zone, code in paging.emergency_codes.items():
        if code == dialed:
            return PageZone(zone, "emergency")
    for zone, code in paging.codes.items():
        if code == dialed:
            return PageZone(zone, "page")
    return None
