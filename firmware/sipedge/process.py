"""Runs Kamailio as a child process in the foreground and knows when it is ready."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

from firmware.config import Config
from firmware.sipedge.logfile import start_log_pump
from firmware.sipedge.presence import create_presence_tables
from firmware.sipedge.probe import options_ping
from firmware.sipedge.render import EdgeSize, render_kamailio_cfg
from firmware.sipedge.rpc import rpc_socket
from firmware.sipedge.subscribers import write_subscribers


class SipEdgeError(RuntimeError):
    pass


class SipEdge:
    """Kamailio for one box: its rendered config, its subscriber database, its process."""

    def __init__(self, config: Config, *, run_dir: Path, db_path: Path) -> None:
        self.config = config
        self.run_dir = run_dir
        self.db_path = db_path
        self.cfg_path = run_dir / "kamailio.cfg"
        self.log_path = run_dir / "kamailio.log"
        self.rpc_socket = rpc_socket(run_dir)
        self._process: subprocess.Popen[bytes] | None = None
        self._log_pump: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        return self.config.network.sip_address, self.config.network.sip_port

    def prepare(self) -> None:
        """Writes the config and subscribers, and has Kamailio check the config."""
        self.run_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.run_dir.chmod(0o700)
        write_subscribers(self.db_path, self.config)
        create_presence_tables(self.db_path)
        self.cfg_path.write_text(
            render_kamailio_cfg(self.config, db_path=self.db_path, rpc_socket=self.rpc_socket)
        )
        check = subprocess.run(
            [_kamailio(), "-c", "-f", str(self.cfg_path)],
            capture_output=True,
            text=True,
            check=False,
        )
        if check.returncode != 0:
            raise SipEdgeError(f"kamailio refused its config:\n{check.stderr[-2000:]}")

    def start(self, *, ready_timeout: float = 10.0) -> None:
        """Starts Kamailio; every file it creates (WAL, the RPC socket) is the box's only."""
        self.prepare()
        shm = EdgeSize.for_calls(self.config.capacity.calls).shm_mb
        self._process = subprocess.Popen(
            [_kamailio(), "-DD", "-E", "-f", str(self.cfg_path), "-m", str(shm), "-M", "4"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            umask=0o077,
        )
        assert self._process.stdout is not None
        self._log_pump = start_log_pump(self._process.stdout, self.log_path)
        self._wait_ready(ready_timeout)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        host, port = self.address
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise SipEdgeError(f"kamailio exited at start:\n{self.log_tail()}")
            if options_ping(host, port, timeout=0.2) is not None:
                return
        self.stop()
        raise SipEdgeError(
            f"kamailio did not answer OPTIONS within {timeout} s:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def poll(self) -> int | None:
        return self._process.poll() if self._process else None

    def stop(self, timeout: float = 5.0) -> None:
        """Stops Kamailio and every child it forked."""
        proc, self._process = self._process, None
        if proc is None:
            return
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, timeout)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        _reap_group(proc.pid)
        if self._log_pump is not None:
            self._log_pump.join(timeout)
            self._log_pump = None


def _reap_group(pgid: int) -> None:
    """Kamailio's children may outlive the main process for a moment; make sure they go."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def _kamailio() -> str:
    found = shutil.which("kamailio") or shutil.which("kamailio", path="/usr/sbin:/sbin")
    if not found:
        raise SipEdgeError("kamailio is not installed: run ./build.sh setup")
    return found
