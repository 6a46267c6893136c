"""A SIP provider stand-in for trunk tests: a second Kamailio with its own subscribers.

A trunk is only proved against real SIP: a registrar that challenges, a proxy
that wants Proxy-Authorization on every INVITE and delivers DIDs to wherever
the customer registered. So the stand-in is Kamailio itself, rendered from
``provider.cfg.j2``, with test phones registered behind it as the outside world.

    provider = Provider(tmp / "provider", accounts={"customer1": "Trunk-Secret-1",
                        "79161234567": "Mobile-Secret-1"}, dids={"74951110000": "customer1"})
    provider.start()
    phone.register(provider, "79161234567")
    provider.wait_registered("customer1")

``stop`` leaves no process behind, whatever the test did.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from firmware.sipedge.probe import options_ping
from firmware.sipedge.subscribers import AUTH_SCHEMA, ha1
from tests.support.net import free_port
from tests.support.phone import SCALE
from tests.support.wait import wait_until

DOMAIN = "provider.test"
#: A Unix socket path must fit in sun_path (108 bytes, with its NUL).
_MAX_SOCKET_PATH = 100

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    autoescape=False,
)

_SCHEMA = [
    *AUTH_SCHEMA,
    # Not a Kamailio table: the provider's script reads it with sqlops.
    "CREATE TABLE IF NOT EXISTS did (did VARCHAR(32) PRIMARY KEY, account VARCHAR(64) NOT NULL)",
]


class ProviderError(RuntimeError):
    pass


@dataclass
class Provider:
    """The provider's Kamailio: its rendered config, its accounts and DIDs, its process.

    ``accounts`` holds provider-side phones and customer trunk accounts alike
    (username -> password); ``dids`` assigns a DID to a customer account.
    ``trusted`` is the address (``"ip"`` or ``"ip:port"``) of a customer whose
    INVITEs are taken without digest auth, as some providers authenticate by IP.
    ``did_in_request_uri`` puts the DID back into the request URI of a delivered
    call, as some providers do; by default it carries the registered contact's
    user and the DID is only in To (and ``X-Provider-DID``).
    """

    root: Path
    accounts: dict[str, str] = field(default_factory=dict)
    dids: dict[str, str] = field(default_factory=dict)
    address: str = "127.0.0.1"
    port: int = field(default_factory=lambda: free_port("udp"))
    trusted: str | None = None
    did_in_request_uri: bool = False

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self.run_dir = self.root / "run"
        self.db_path = self.root / "provider.db"
        self.cfg_path = self.run_dir / "provider.cfg"
        self.log_path = self.run_dir / "kamailio.log"
        self._ctl_tmp: Path | None = None
        self.ctl_socket = self.run_dir / "ctl.sock"
        self._process: subprocess.Popen[bytes] | None = None

    # What a phone needs to register here (the ``Server`` protocol of tests.support.phone).
    @property
    def domain(self) -> str:
        return DOMAIN

    @property
    def server(self) -> str:
        return f"{self.address}:{self.port}"

    def password(self, number: str) -> str:
        return self.accounts[number]

    # Tables.
    def write_tables(self) -> None:
        """Writes accounts and DIDs in one transaction.

        Kamailio reads both tables on every request, so a test may change
        ``accounts`` or ``dids`` and call this while the provider runs.
        """
        unknown = sorted(set(self.dids.values()) - set(self.accounts))
        if unknown:
            raise ValueError(f"DIDs assigned to accounts the provider lacks: {unknown}")
        self.root.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.db_path, timeout=5.0, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            for statement in _SCHEMA:
                conn.execute(statement)
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM subscriber")
            conn.executemany(
                "INSERT INTO subscriber (username, domain, ha1, ha1b) VALUES (?, ?, ?, ?)",
                [
                    (user, DOMAIN, ha1(user, DOMAIN, pw), ha1(f"{user}@{DOMAIN}", DOMAIN, pw))
                    for user, pw in self.accounts.items()
                ],
            )
            conn.execute("DELETE FROM did")
            conn.executemany("INSERT INTO did (did, account) VALUES (?, ?)", self.dids.items())
            conn.execute("COMMIT")
        finally:
            conn.close()

    def render(self) -> str:
        trusted_address, _, trusted_port = (self.trusted or "").partition(":")
        return _ENV.get_template("provider.cfg.j2").render(
            domain=DOMAIN,
            address=self.address,
            port=self.port,
            db_path=self.db_path.resolve(),
            ctl_socket=self.ctl_socket,
            trusted_address=trusted_address,
            trusted_port=trusted_port,
            did_in_request_uri=self.did_in_request_uri,
        )

    # The process.
    def start(self, *, ready_timeout: float = 10.0) -> Provider:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._place_ctl_socket()
        self.write_tables()
        self.cfg_path.write_text(self.render())
        check = subprocess.run(
            [_binary("kamailio"), "-c", *self._kamailio_args()],
            capture_output=True,
            text=True,
            check=False,
        )
        if check.returncode != 0:
            raise ProviderError(f"kamailio refused the provider's config:\n{check.stderr[-2000:]}")
        log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            [_binary("kamailio"), "-DD", "-E", *self._kamailio_args(), "-m", "32", "-M", "4"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
        log.close()
        self._wait_ready(ready_timeout * SCALE)
        return self

    def _kamailio_args(self) -> list[str]:
        """Its runtime files go in the run dir, never in a /run/kamailio shared with others."""
        return ["-f", str(self.cfg_path), "-Y", str(self.run_dir.resolve())]

    def _place_ctl_socket(self) -> None:
        """pytest's temp paths can outgrow a Unix socket path; then the socket goes in /tmp."""
        if len(str(self.ctl_socket.resolve())) > _MAX_SOCKET_PATH:
            self._ctl_tmp = Path(tempfile.mkdtemp(prefix="provider-ctl-"))
            self.ctl_socket = self._ctl_tmp / "ctl.sock"
        else:
            self.ctl_socket = self.ctl_socket.resolve()

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise ProviderError(f"the provider's kamailio exited at start:\n{self.log_tail()}")
            if options_ping(self.address, self.port, timeout=0.2) is not None:
                return
        self.stop()
        raise ProviderError(
            f"the provider did not answer OPTIONS within {timeout:g} s:\n{self.log_tail()}"
        )

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def stop(self, timeout: float = 5.0) -> None:
        """Stops Kamailio and every child it forked (they share its process group)."""
        proc, self._process = self._process, None
        if proc is not None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    proc.wait(timeout)
                    break
                except subprocess.TimeoutExpired:
                    continue
            # Children may outlive the main process for a moment.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        if self._ctl_tmp is not None:
            shutil.rmtree(self._ctl_tmp, ignore_errors=True)
            self._ctl_tmp = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    # What the provider knows, asked over its RPC socket (kamcmd, binrpc through ctl).
    def rpc(self, *command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [_binary("kamcmd"), "-s", f"unixs:{self.ctl_socket}", *command],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )

    def contacts(self, username: str) -> list[str]:
        """The contacts ``username`` has registered now; none when it is not registered."""
        # "s:" keeps kamcmd from sending a number-like username as an integer.
        result = self.rpc("ul.lookup", "location", f"s:{username}")
        # kamcmd exits 0 even when the RPC failed; the answer says so.
        answer = result.stdout + result.stderr
        if "AOR not found" in answer:
            return []
        if result.returncode != 0 or answer.startswith("error"):
            raise ProviderError(f"ul.lookup {username} failed: {answer.strip()}")
        return [
            line.split(":", 1)[1].strip()
            for line in result.stdout.splitlines()
            if line.strip().startswith("Address:")
        ]

    def wait_registered(self, username: str, timeout: float = 5.0) -> list[str]:
        """Waits until ``username`` has a registered contact; returns its contacts."""
        return wait_until(
            lambda: self.contacts(username),
            timeout=timeout * SCALE,
            what=f"{username} registered at the provider",
        )

    def wait_unregistered(self, username: str, timeout: float = 5.0) -> None:
        wait_until(
            lambda: not self.contacts(username),
            timeout=timeout * SCALE,
            what=f"{username} unregistered at the provider",
        )


def _binary(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if not found:
        raise ProviderError(f"{name} is not installed: run ./build.sh setup")
    return found
