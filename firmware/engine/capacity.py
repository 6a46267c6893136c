"""What this engine's pjsua2 binding was built to hold, and whether pbx.toml fits in it.

pjproject fixes its tables when it is compiled (images/pjproject/config_site.h)
and pjsua clamps a larger request silently: an engine asked for 750 legs by a
binding built for 4 would hold 4 and refuse the rest with 486. So the engine
checks the configured capacity against the binding before it starts or takes a
new pbx.toml, and says what does not fit.
"""

from __future__ import annotations

import logging
import resource
from dataclasses import asdict, dataclass

import pjsua2 as pj

from firmware.config.schema import Config

log = logging.getLogger(__name__)

#: Descriptors beyond the legs' RTP and RTCP sockets: SIP, the control socket,
#: SQLite and its WAL, log files, the prompt and music files being played.
FIXED_FILES = 128


@dataclass(frozen=True)
class BindingLimits:
    pjproject: str
    legs: int
    accounts: int
    players: int
    media_ports: int

    @classmethod
    def of(cls, endpoint: pj.Endpoint) -> BindingLimits:
        return cls(
            pjproject=endpoint.libVersion().full,
            legs=pj.MINIPBX_MAX_CALLS,
            accounts=pj.MINIPBX_MAX_ACC,
            players=pj.MINIPBX_MAX_PLAYERS,
            media_ports=pj.MINIPBX_MAX_CONF_PORTS,
        )

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def problems(self, config: Config) -> list[str]:
        """What in ``config`` this binding cannot hold; empty when it all fits."""
        found = []
        cap = config.capacity
        rebuild = "lower it or rebuild the binding with more (images/pjproject/config_site.h)"
        if cap.legs > self.legs:
            found.append(
                f"[capacity] calls = {cap.calls} needs {cap.legs} legs, and this engine's "
                f"pjsua2 (pjproject {self.pjproject}) holds {self.legs}: {rebuild}"
            )
        if cap.media_ports > self.media_ports:
            found.append(
                f"[capacity] calls = {cap.calls} needs {cap.media_ports} media ports, and the "
                f"binding holds {self.media_ports}: {rebuild}"
            )
        sip_trunks = sum(1 for t in config.trunks if t.kind == "sip")
        if sip_trunks + 1 > self.accounts:
            found.append(
                f"{sip_trunks} sip trunks and the engine's own account need {sip_trunks + 1} "
                f"accounts, and the binding holds {self.accounts}"
            )
        return found


def raise_open_files(legs: int) -> int:
    """Raises this process's soft limit of open files to what ``legs`` need.

    Every leg holds an RTP and an RTCP socket: 750 legs pass the usual soft limit
    of 1,024 and would fail to open media half-way through a busy hour. Returns
    the limit now in force.
    """
    wanted = 2 * legs + FIXED_FILES
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= wanted:
        return soft
    new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
    if new < wanted:
        log.error(
            "open files limited to %d, %d legs need %d: raise LimitNOFILE (hard limit)",
            new,
            legs,
            wanted,
        )
    return new
