"""``minipbx run``: the whole box in the foreground, Kamailio and the engine as children.

On the image systemd supervises each process; in a checkout this stands in
for it. Ctrl-C stops everything it started. A dead engine is restarted (with
back-off, ``[supervisor]`` in pbx.toml) while Kamailio goes on serving
registrations; an engine that keeps dying, or a dead Kamailio, stops the box
and the command fails, so a broken box is never left half up in silence.
"""

from __future__ import annotations

import errno
import logging
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable

from firmware.backoff import RestartBudget
from firmware.config import Config
from firmware.config.schema import Supervisor
from firmware.engine.control import send_command
from firmware.home import Home
from firmware.sipedge.process import SipEdge

log = logging.getLogger(__name__)

#: How long an engine may take from its start to answering on its control socket.
ENGINE_START_TIMEOUT = 20.0
#: How often the children are looked at: a dead engine is noticed within this.
WATCH_EVERY = 0.1


class PortBusyError(RuntimeError):
    pass


def check_ports_free(config: Config) -> None:
    """Refuses to start when another program holds a port this box needs."""
    net = config.network
    wanted = [
        (net.sip_address, net.sip_port, socket.SOCK_DGRAM, "udp"),
        (net.sip_address, net.sip_port, socket.SOCK_STREAM, "tcp"),
        ("127.0.0.1", net.engine_port, socket.SOCK_DGRAM, "udp"),
        (config.web.address, config.web.port, socket.SOCK_STREAM, "tcp"),
    ]
    for host, port, kind, name in wanted:
        with socket.socket(socket.AF_INET, kind) as sock:
            try:
                sock.bind((host, port))
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise
                raise PortBusyError(
                    f"{host}:{port}/{name} is already in use: is another minipbx or SIP "
                    "server running? Stop it, or change [network] ports in pbx.toml."
                ) from None


def wait_engine_ready(home: Home, engine: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if engine.poll() is not None:
            raise RuntimeError(f"the engine exited at start (status {engine.returncode})")
        try:
            if send_command(home.control_socket, {"cmd": "status"}, timeout=1.0).get("ok"):
                return
        except OSError:
            pass
        threading.Event().wait(0.05)
    raise RuntimeError(f"the engine did not come up within {timeout} s")


def start_engine(home: Home, command: str = "engine") -> subprocess.Popen[bytes]:
    """The engine (or, with ``command="web"``, the web UI) as a child process."""
    return subprocess.Popen(
        [sys.executable, "-m", "firmware.cli", "--home", str(home.root), command],
        start_new_session=True,
    )


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def exit_status(code: int) -> str:
    return f"killed by signal {-code}" if code < 0 else f"exit status {code}"


class Keeper:
    """A child process of ``minipbx run`` (the engine, the web UI): started, watched,
    restarted with back-off when it dies.

    Past ``restart_limit`` deaths in the window an ``essential`` one (the
    engine) stops the box; the web UI is given up on with a critical log line
    while the phones go on being served.
    """

    def __init__(
        self,
        home: Home,
        rules: Supervisor,
        stopping: threading.Event,
        *,
        command: str = "engine",
        essential: bool = True,
    ) -> None:
        self.home = home
        self.rules = rules
        self.stopping = stopping
        self.command = command
        self.essential = essential
        self.budget = RestartBudget(rules)
        self.process: subprocess.Popen[bytes] | None = None
        self.given_up = False

    @property
    def name(self) -> str:
        return "the engine" if self.command == "engine" else "the web UI"

    def start(self) -> None:
        """Starts the process; for the engine, waits until it answers (RuntimeError if not)."""
        self.process = start_engine(self.home, self.command)
        if self.command == "engine":
            wait_engine_ready(self.home, self.process, timeout=ENGINE_START_TIMEOUT)

    def reload(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGHUP)

    def keep_up(self) -> bool:
        """Restarts a dead process; False once an essential one died ``restart_limit``
        times in the window."""
        assert self.process is not None, "keep_up before start"
        while not self.given_up and self.process.poll() is not None and not self.stopping.is_set():
            died = exit_status(self.process.returncode)
            delay = self.budget.crashed(time.monotonic())
            if delay is None:
                log.critical(
                    "%s died %d times within %g s (last: %s); giving up%s",
                    self.name,
                    self.budget.recent,
                    self.rules.restart_window,
                    died,
                    ", stopping the box" if self.essential else "; calls go on without it",
                )
                self.given_up = True
                return not self.essential
            log.error(
                "%s died (%s); restarting it in %g s (%d of %d deaths within %g s)",
                self.name,
                died,
                delay,
                self.budget.recent,
                self.rules.restart_limit,
                self.rules.restart_window,
            )
            if self.stopping.wait(delay):
                break
            try:
                self.start()
            except RuntimeError as exc:
                log.error("the restarted %s failed: %s", self.command, exc)
                stop_process(self.process)
            else:
                log.warning("%s is back (pid %d)", self.name, self.process.pid)
        return True

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)


def run_box(config: Config, home: Home, *, on_ready: Callable[[], None]) -> int:
    check_ports_free(config)
    home.run_dir.mkdir(parents=True, exist_ok=True)
    edge = SipEdge(config, run_dir=home.run_dir, db_path=home.sipedge_db)
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    edge.start()
    engine = Keeper(home, config.supervisor, stopping)
    web = Keeper(home, config.supervisor, stopping, command="web", essential=False)
    try:
        engine.start()
        web.start()
        on_ready()
        signal.signal(signal.SIGHUP, lambda *_: engine.reload())
        while not stopping.wait(WATCH_EVERY):
            if not (engine.keep_up() and web.keep_up()):
                return 1
            if edge.poll() is not None:
                log.error("kamailio stopped; stopping the box:\n%s", edge.log_tail())
                return 1
        return 0
    finally:
        web.stop()
        engine.stop()
        edge.stop()
