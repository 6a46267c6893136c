"""``minipbx run``: the whole box in the foreground, Kamailio and the engine as children.

On the image systemd supervises each process; in a checkout this stands in
for it. Ctrl-C stops everything it started; if a child dies the others are
stopped too and the command fails, so a broken box is never half up.
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

from firmware.config import Config
from firmware.engine.control import send_command
from firmware.home import Home
from firmware.sipedge.process import SipEdge

log = logging.getLogger(__name__)


class PortBusyError(RuntimeError):
    pass


def check_ports_free(config: Config) -> None:
    """Refuses to start when another program holds a port this box needs."""
    net = config.network
    wanted = [
        (net.sip_address, net.sip_port, socket.SOCK_DGRAM, "udp"),
        (net.sip_address, net.sip_port, socket.SOCK_STREAM, "tcp"),
        ("127.0.0.1", net.engine_port, socket.SOCK_DGRAM, "udp"),
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


def start_engine(home: Home) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "firmware.cli", "--home", str(home.root), "engine"],
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


def run_box(config: Config, home: Home, *, on_ready: Callable[[], None]) -> int:
    check_ports_free(config)
    home.run_dir.mkdir(parents=True, exist_ok=True)
    edge = SipEdge(config, run_dir=home.run_dir, db_path=home.sipedge_db)
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    edge.start()
    engine = start_engine(home)
    try:
        wait_engine_ready(home, engine, timeout=20.0)
        on_ready()
        signal.signal(signal.SIGHUP, lambda *_: engine.send_signal(signal.SIGHUP))
        while not stopping.wait(0.5):
            if engine.poll() is not None:
                log.error("the engine stopped (status %s); stopping the box", engine.returncode)
                return 1
            if edge.poll() is not None:
                log.error("kamailio stopped; stopping the box:\n%s", edge.log_tail())
                return 1
        return 0
    finally:
        stop_process(engine)
        edge.stop()
