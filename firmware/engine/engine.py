"""The engine process: pjsua2, the call flows, the CDR and the control socket, wired together.

This is the one place that builds the objects; everything else receives what
it needs through its constructor.
"""

from __future__ import annotations

import gc
import logging
import re
import signal
import time
from typing import Any

from firmware.config import Config, ConfigError, load_config
from firmware.engine.call import IGNORE, Call, CallContext, Dialing, Refusing
from firmware.engine.control import ControlServer
from firmware.engine.endpoint import SipEndpoint
from firmware.engine.leg import Leg
from firmware.engine.loop import EngineLoop
from firmware.home import Home
from firmware.routing.dialplan import Refusal, route_call
from firmware.routing.toneplans import tone_for
from firmware.sipedge.subscribers import write_subscribers
from firmware.store.cdr import CallRecords
from firmware.store.db import connect

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10.0
_REQUEST_USER = re.compile(r"^[A-Z]+ sips?:([^@;>\s]+)@", re.MULTILINE)
_FROM_USER = re.compile(r"^(?:From|f)\s*:.*?<?sips?:([^@;>\s]+)@", re.MULTILINE | re.IGNORECASE)


class Engine:
    def __init__(self, config: Config, home: Home) -> None:
        self.config = config
        self.home = home
        self.sip = SipEndpoint(config, log_path=home.pjsua_log)
        self.loop = EngineLoop(self.sip.pump)
        self.records = CallRecords(connect(home.store))
        self.calls: list[Call] = []
        self.control = ControlServer(home.control_socket, self.loop, self._command)

    def run(self) -> None:
        closed = self.records.close_interrupted()
        if closed:
            log.warning("closed %d call(s) left open by an engine that stopped", closed)
        self.sip.start(self._incoming)
        self.control.start()
        signal.signal(signal.SIGHUP, lambda *_: self.loop.post(self.reload))
        signal.signal(signal.SIGTERM, lambda *_: self.loop.stop())
        signal.signal(signal.SIGINT, lambda *_: self.loop.stop())
        self._heartbeat()
        log.info("engine ready on 127.0.0.1:%d", self.config.network.engine_port)
        try:
            self.loop.run()
        finally:
            self._shutdown()

    def _heartbeat(self) -> None:
        self.records.heartbeat()
        self.loop.call_later(HEARTBEAT_SECONDS, self._heartbeat)

    def _shutdown(self) -> None:
        log.info("engine stopping with %d call(s) up", len(self.calls))
        self.control.stop()
        for call in list(self.calls):
            call.hang_up_everything()
        deadline = time.monotonic() + 2.0
        while self.calls and time.monotonic() < deadline:
            self.loop.run_once()
        self.calls.clear()
        gc.collect()  # pjsua2 objects must be gone before the library
        self.records.close_interrupted()
        self.sip.destroy()

    # Calls.
    def _context(self) -> CallContext:
        region = self.config.system.region
        assert self.sip.account is not None
        return CallContext(
            loop=self.loop,
            account=self.sip.account,
            records=self.records,
            tones=lambda tone: tone_for(region, tone),
            tone_timeout=self.config.calls.tone_timeout,
            sip_domain=self.config.system.sip_domain,
            on_finished=self._finished,
        )

    def _incoming(self, call_id: int, invite: str) -> None:
        assert self.sip.account is not None
        a_leg = Leg(self.sip.account, role="a", listener=IGNORE, call_id=call_id)
        a_leg.call_id = a_leg.getInfo().callIdString
        caller = _match(_FROM_USER, invite)
        dialed = _match(_REQUEST_USER, invite)
        call = Call(self._context(), a_leg, caller=caller, dialed=dialed)
        self.calls.append(call)
        decision = route_call(self.config, caller=caller, dialed=dialed)
        call.start(Refusing(decision) if isinstance(decision, Refusal) else Dialing(decision))

    def _finished(self, call: Call) -> None:
        if call in self.calls:
            self.calls.remove(call)

    # Control.
    def reload(self) -> dict[str, Any]:
        """Applies pbx.toml again; a bad file changes nothing and says why."""
        try:
            new = load_config(self.home.config)
        except ConfigError as exc:
            log.error("reload refused:\n%s", exc.render())
            return {"ok": False, "errors": [p.render(exc.filename) for p in exc.problems]}
        restart = [key for key in ("network",) if getattr(new, key) != getattr(self.config, key)]
        write_subscribers(self.home.sipedge_db, new)
        self.config = new
        log.info("config reloaded: %d extension(s)", len(new.extensions))
        result: dict[str, Any] = {"ok": True, "extensions": len(new.extensions)}
        if restart:
            result["restart_needed"] = restart
        return result

    def _command(self, request: dict[str, Any]) -> dict[str, Any]:
        command = request.get("cmd")
        if command == "reload":
            return self.reload()
        if command == "status":
            return {"ok": True, "calls": [c.status() for c in self.calls]}
        return {"ok": False, "errors": [f"unknown command {command!r}"]}


def _match(pattern: re.Pattern[str], text: str) -> str:
    found = pattern.search(text)
    return found.group(1) if found else ""
