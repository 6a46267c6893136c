"""What a fake office rings besides its legs: extensions' phones and an outside line.

The engine's own ``extension_destination`` and lines need its SIP endpoint;
an analog line (``fxo``) whose adapter is not pinged never reaches SIP, so
the real ``Lines`` and ``Outside`` serve the fake office as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from firmware.config import Config
from firmware.engine.call import Call, Destination
from firmware.engine.features.lines.service import Lines
from firmware.engine.features.outbound.service import Outside
from tests.support.fake_leg import Office

#: One analog line of one channel: a second call on it finds every line busy.
ANALOG_LINE = """
[[trunks]]
name = "city"
kind = "fxo"
username = "fxo-city"
password = "Adapter-Secret-1"
options_interval = 0
"""


def extension_phone(config: Config) -> Callable[[str, str], Destination]:
    """An extension's phone rung showing ``caller``, as the engine rings it through Kamailio."""
    domain = config.system.sip_domain

    def phone(number: str, caller: str) -> Destination:
        return Destination(
            uri=f"sip:{number}@{domain}",
            from_uri=f"<sip:{caller}@{domain}>",
            ring_timeout=config.calls.ring_timeout,
            key=number,
        )

    return phone


def outside(
    config: Config, office: Office, *, abandon: Callable[[Call, str], None] | None = None
) -> tuple[Lines, Outside]:
    """The office's lines, opened, and the outbound service over them; a call giving a
    channel back frees it on its line, which tells the service, which rings back whoever
    camps on it."""
    found: list[Outside] = []

    def line_changed(trunk: str) -> None:
        found[0].line_changed(trunk)

    lines = Lines(
        config,
        sip=None,  # type: ignore[arg-type]  # an unpinged analog line never reaches SIP
        loop=office.loop,
        on_change=line_changed,
    )
    never: Callable[[Call, str], Any] = lambda call, why: None  # noqa: E731
    service = Outside(
        config=lambda: config,
        lines=lines,
        records=office.records,
        placed_by=lambda extension: [c for c in office.calls if c.caller == extension],
        box_call=office.box_call,
        abandon=abandon or never,
    )
    found.append(service)
    office.on_release.append(lines.release)
    lines.start()
    return lines, service
