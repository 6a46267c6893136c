"""Kamailio's config is rendered from pbx.toml so the installer edits one file only."""

from __future__ import annotations

from pathlib import Path

import jinja2

from firmware.config import Config

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("firmware.sipedge", "."),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    autoescape=False,
)


def render_kamailio_cfg(
    config: Config, *, db_path: Path, rpc_socket: Path, children: int = 2
) -> str:
    """``rpc_socket`` is the jsonrpcs control socket (0600) the CLI reads bans through."""
    net = config.network
    return _ENV.get_template("kamailio.cfg.j2").render(
        sip_domain=config.system.sip_domain,
        sip_address=net.sip_address,
        sip_port=net.sip_port,
        engine_port=net.engine_port,
        db_path=db_path.resolve(),
        rpc_socket=rpc_socket.resolve(),
        children=children,
        s=config.security,
        scanner_re="|".join(config.security.scanner_user_agents),
    )
