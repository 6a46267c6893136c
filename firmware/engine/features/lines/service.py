"""The box's outside lines as the engine keeps them: registered or not, answering or not, busy.

A SIP trunk is a pjsua2 account that registers to the provider through
Kamailio. The Contact it registers is a token at Kamailio's address, so the
provider's calls come back to the box and Kamailio can tell them from
strangers' (``X-Minipbx-Token``). An analog line is an adapter that registers
to the box like a phone; the engine only pings it. Every line is pinged with
OPTIONS, and a line that stops answering is down until it answers again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import pjsua2 as pj

from firmware.config.schema import Config, Trunk
from firmware.engine.endpoint import AccountEvents, EngineAccount, SipEndpoint
from firmware.engine.loop import EngineLoop, Timer
from firmware.routing.lines import LineState

log = logging.getLogger(__name__)


def trunk_token(trunk: Trunk) -> str:
    """The user part of the Contact a trunk registers: unguessable without its password."""
    digest = hashlib.sha256(f"{trunk.name}:{trunk.username}:{trunk.password}".encode())
    return "t" + digest.hexdigest()[:12]


@dataclass
class Line:
    trunk: Trunk
    account: EngineAccount | None = None
    busy: int = 0
    registered: bool | None = None
    answering: bool | None = None
    why_down: str = "not checked yet"
    timer: Timer | None = field(default=None, repr=False)

    @property
    def up(self) -> bool:
        if self.trunk.kind == "sip" and not self.registered:
            return False
        return self.answering is not False

    def state(self) -> LineState:
        return LineState(self.up, self.busy, self.trunk.channels, "" if self.up else self.why_down)

    def status(self) -> dict[str, object]:
        return {
            "name": self.trunk.name,
            "kind": self.trunk.kind,
            "up": self.up,
            "busy": self.busy,
            "channels": self.trunk.channels,
            "why_down": "" if self.up else self.why_down,
        }


class Lines:
    """Every trunk's line; tells ``on_change`` when one goes up, down or frees a channel."""

    def __init__(
        self,
        config: Config,
        *,
        sip: SipEndpoint,
        loop: EngineLoop,
        on_change: Callable[[str], None],
    ) -> None:
        self._config = config
        self._sip = sip
        self._loop = loop
        self._on_change = on_change
        self.lines: dict[str, Line] = {}

    # Lifecycle.
    def start(self) -> None:
        for trunk in self._config.trunks:
            self._open(trunk)

    def reload(self, config: Config) -> None:
        """Keeps lines whose trunk is unchanged (and their calls); reopens the others."""
        self._config = config
        wanted = {t.name: t for t in config.trunks}
        for name, line in list(self.lines.items()):
            if wanted.get(name) != line.trunk:
                self._close(line)
                del self.lines[name]
        for trunk in config.trunks:
            if trunk.name not in self.lines:
                self._open(trunk)

    def stop(self) -> None:
        for line in self.lines.values():
            self._close(line)
        self.lines.clear()

    def _open(self, trunk: Trunk) -> None:
        line = Line(trunk)
        self.lines[trunk.name] = line
        if trunk.kind == "sip":
            line.account = self._sip.add_account(
                self._register_config(trunk),
                AccountEvents(
                    registration=lambda code, reason, expires: self._registered(
                        line, code, reason, expires
                    ),
                    answered=lambda _user, code, reason: self._answered(line, code, reason),
                ),
            )
        self._ping(line)

    def _close(self, line: Line) -> None:
        if line.timer is not None:
            line.timer.cancel()
        if line.account is not None:
            self._sip.remove_account(line.account)
            line.account = None

    def _register_config(self, trunk: Trunk) -> pj.AccountConfig:
        domain = trunk.host.split(":")[0]
        cfg = self._sip.account_config(f"sip:{trunk.username}@{domain}")
        cfg.regConfig.registrarUri = f"sip:{trunk.host}"
        cfg.regConfig.timeoutSec = int(trunk.register_interval)
        cfg.regConfig.retryIntervalSec = 30
        cfg.regConfig.firstRetryIntervalSec = 5
        user = trunk.auth_username or trunk.username
        cfg.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", user, 0, trunk.password))
        net = self._config.network
        cfg.sipConfig.contactForced = f"<sip:{trunk_token(trunk)}@{net.sip_address}:{net.sip_port}>"
        return cfg

    # What the lines report.
    def _registered(self, line: Line, code: int, reason: str, expires: int) -> None:
        ok = 200 <= code < 300 and expires > 0
        if not ok:
            line.why_down = f"registration failed: {code} {reason}".strip()
        self._set(line, registered=ok)

    def _answered(self, line: Line, code: int, reason: str) -> None:
        # Any final answer means the peer is there; 408 and 5xx from Kamailio mean it is not.
        alive = code < 500 and code not in (408, 480)
        if not alive:
            line.why_down = f"no answer to OPTIONS: {code} {reason}".strip()
        self._set(line, answering=alive)

    def adapter_answered(self, user: str, code: int, reason: str) -> None:
        """An OPTIONS answer on the engine's own account: from an analog line's adapter."""
        for line in self.lines.values():
            if line.trunk.kind == "fxo" and line.trunk.username == user:
                self._answered(line, code, reason)

    def _set(self, line: Line, **changes: bool) -> None:
        was = line.up
        for key, value in changes.items():
            setattr(line, key, value)
        if line.up != was:
            log.warning(
                "trunk %s is %s%s",
                line.trunk.name,
                "up" if line.up else "down",
                "" if line.up else f": {line.why_down}",
            )
            self._on_change(line.trunk.name)

    def _ping(self, line: Line) -> None:
        interval = line.trunk.options_interval
        if not interval or line.trunk.name not in self.lines:
            return
        if line.trunk.kind == "sip":
            assert line.account is not None
            line.account.ping(f"sip:{line.trunk.host}")
        elif self._sip.account is not None:
            self._sip.account.ping(f"sip:{line.trunk.username}@{self._config.system.sip_domain}")
        line.timer = self._loop.call_later(interval, lambda: self._ping(line))

    # Channels.
    def states(self) -> dict[str, LineState]:
        return {name: line.state() for name, line in self.lines.items()}

    def seize(self, name: str) -> None:
        self.lines[name].busy += 1

    def release(self, name: str) -> None:
        line = self.lines.get(name)
        if line is not None and line.busy > 0:
            line.busy -= 1
            self._on_change(name)

    # Calls on a line.
    def account_for(self, name: str) -> EngineAccount | None:
        """The account a call on this line is placed with (None: the engine's own)."""
        return self.lines[name].account

    def line_host(self, name: str) -> str:
        """The host part of a line's calls: the provider's, or the box's own domain."""
        trunk = self.lines[name].trunk
        return trunk.host if trunk.kind == "sip" else self._config.system.sip_domain

    def call_uri(self, name: str, number: str) -> tuple[str, dict[str, str]]:
        """Where to send a call for ``number`` on a line, and the headers it needs."""
        trunk = self.lines[name].trunk
        uri = f"sip:{number}@{self.line_host(name)}"
        return uri, {} if trunk.kind == "sip" else {"X-Minipbx-Line": trunk.username}

    def by_token(self, token: str) -> Trunk | None:
        return next((t for t in self._config.trunks if trunk_token(t) == token), None)

    def by_adapter(self, username: str) -> Trunk | None:
        return next(
            (t for t in self._config.trunks if t.kind == "fxo" and t.username == username), None
        )
