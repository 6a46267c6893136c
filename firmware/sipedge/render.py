"""Kamailio's config is rendered from pbx.toml so the installer edits one file only."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path

import jinja2

from firmware.config import Config

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("firmware.sipedge", "."),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    autoescape=False,
)


@dataclass(frozen=True)
class EdgeSize:
    """Kamailio's workers and shared memory for the calls the engine takes.

    A worker blocks while it reads SQLite, so a busy hour wants several; each
    costs a few MB. Shared memory holds transactions (about 10 KB each, for
    10 s at 140 calls/s), dialogs, pike's and the ban tables.
    """

    children: int
    tcp_children: int
    shm_mb: int

    @classmethod
    def for_calls(cls, calls: int) -> EdgeSize:
        children = max(2, min(8, calls // 40))
        return cls(children, max(2, children // 2), max(32, calls // 4))


def trunk_peers(config: Config) -> list[str]:
    """The addresses of the SIP trunks' providers, which the screening never bans: a busy
    provider sends more requests than any phone, and banning it would cut the office off.

    A host name is resolved now (at start and at reload); one that does not resolve is
    screened like any other source until it does.
    """
    found: set[str] = set()
    for trunk in config.trunks:
        if trunk.kind != "sip":
            continue
        host = trunk.host.rsplit(":", 1)[0]
        try:
            found.add(str(ipaddress.ip_address(host)))
            continue
        except ValueError:
            pass
        try:
            found.update(str(a[4][0]) for a in socket.getaddrinfo(host, None, socket.AF_INET))
        except OSError:
            continue
    return sorted(found)


def render_kamailio_cfg(config: Config, *, db_path: Path, rpc_socket: Path) -> str:
    """``rpc_socket`` is the jsonrpcs control socket (0600) the CLI reads bans through."""
    net = config.network
    size = EdgeSize.for_calls(config.capacity.calls)
    return _ENV.get_template("kamailio.cfg.j2").render(
        sip_domain=config.system.sip_domain,
        sip_address=net.sip_address,
        sip_port=net.sip_port,
        engine_port=net.engine_port,
        db_path=db_path.resolve(),
        rpc_socket=rpc_socket.resolve(),
        children=size.children,
        tcp_children=size.tcp_children,
        s=config.security,
        trunk_peers=trunk_peers(config),
        scanner_re="|".join(config.security.scanner_user_agents),
    )
