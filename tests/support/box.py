"""A whole box for a test: Kamailio and the engine on free loopback ports, in a temp home.

It runs the same code ``minipbx run`` runs (SipEdge, the engine subprocess),
only with its own ports and a config the test writes. ``stop`` leaves no
process behind, whatever state the test left the box in.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from firmware.config import load_config
from firmware.config.schema import Capacity
from firmware.engine.control import send_command
from firmware.home import Home
from firmware.sipedge.process import SipEdge
from firmware.store.cdr import CallRecords
from firmware.store.db import connect
from firmware.supervisor import stop_process, wait_engine_ready
from tests.support.net import free_port
from tests.support.wait import wait_until

#: Extensions every test box has, with passwords the tests use to register.
EXTENSIONS = {
    "100": ("Reception", "Reception-Secret-q"),
    "101": ("Ivan Petrov", "Ivan-Secret-xyz"),
    "102": ("Olga Smirnova", "Olga-Secret-xyz"),
    "103": ("Sergey Ivanov", "Sergey-Secret-xyz"),
}


def office_toml(
    *,
    sip_port: int,
    engine_port: int,
    rtp_port: int,
    region: str = "RU",
    ring_timeout: float = 4,
    tone_timeout: float = 1.5,
    media_timeout: float = 60,
    extensions: dict[str, tuple[str, str]] | None = None,
    extra: str = "",
    extension_keys: dict[str, list[str]] | None = None,
    calls: int = 40,
) -> str:
    legs = Capacity(calls=calls).legs
    lines = [
        "[system]",
        'name = "Test office"',
        f'region = "{region}"',
        'area_code = "495"',
        'timezone = "Europe/Moscow"',
        'sip_domain = "pbx.test"',
        "",
        "[network]",
        f"sip_port = {sip_port}",
        f"engine_port = {engine_port}",
        f"rtp_port_min = {rtp_port}",
        f"rtp_port_max = {rtp_port + max(2 * legs, 32) - 1}",
        "",
        "[capacity]",
        f"calls = {calls}",
        "",
        "[calls]",
        f"ring_timeout = {ring_timeout}",
        f"tone_timeout = {tone_timeout}",
        f"media_timeout = {media_timeout}",
        "",
        "[web]",
        f"port = {free_port()}",
        "",
    ]
    for number, (name, password) in (extensions or EXTENSIONS).items():
        lines += [
            "[[extensions]]",
            f'number = "{number}"',
            f'name = "{name}"',
            f'password = "{password}"',
            *(extension_keys or {}).get(number, []),
            "",
        ]
    return "\n".join(lines) + extra


@dataclass
class Box:
    root: Path
    options: dict[str, Any] = field(default_factory=dict)
    sip_port: int = field(default_factory=lambda: free_port("udp"))
    engine_port: int = field(default_factory=lambda: free_port("udp"))
    rtp_port: int = field(default_factory=lambda: 20000 + free_port("udp") % 20000)

    def __post_init__(self) -> None:
        self.home = Home(self.root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.write_config(**self.options)
        self.edge: SipEdge | None = None
        self.engine: subprocess.Popen[bytes] | None = None

    @property
    def domain(self) -> str:
        return "pbx.test"

    @property
    def server(self) -> str:
        return f"127.0.0.1:{self.sip_port}"

    def password(self, number: str) -> str:
        extension = load_config(self.home.config).extension(number)
        assert extension is not None, f"no extension {number} in the test box"
        return extension.password

    def write_config(self, **options: Any) -> None:
        self.home.config.write_text(
            office_toml(
                sip_port=self.sip_port,
                engine_port=self.engine_port,
                rtp_port=self.rtp_port,
                **options,
            )
        )

    def start(self) -> Box:
        config = load_config(self.home.config)
        self.edge = SipEdge(config, run_dir=self.home.run_dir, db_path=self.home.sipedge_db)
        self.edge.start()
        self.start_engine()
        return self

    def start_engine(self) -> None:
        self.engine_log = (self.root / "engine.log").open("ab")
        self.engine = subprocess.Popen(
            [sys.executable, "-m", "firmware.cli", "--home", str(self.root), "engine"],
            stdout=self.engine_log,
            stderr=self.engine_log,
            start_new_session=True,
        )
        wait_engine_ready(self.home, self.engine, timeout=20.0)

    def kill_engine(self) -> None:
        """SIGKILL, as a crash or power cut would: nothing gets to clean up."""
        assert self.engine is not None
        self.engine.send_signal(signal.SIGKILL)
        self.engine.wait()

    def command(self, cmd: str) -> dict[str, Any]:
        answer = send_command(self.home.control_socket, {"cmd": cmd})
        if not answer.get("ok"):
            raise AssertionError(f"the engine refused {cmd!r}: {answer.get('errors')}")
        return answer

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "firmware.cli", "--home", str(self.root), *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def closed_calls(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """The call records, oldest first, once ``count`` of them are closed."""

        def rows() -> tuple[list[dict[str, Any]]] | None:
            found = CallRecords(connect(self.home.store)).recent(100)[::-1]
            return (found,) if sum(1 for r in found if r["ended_at"]) >= count else None

        return wait_until(rows, timeout=timeout, what=f"{count} closed call record(s)")[0]

    def engine_log_text(self) -> str:
        return (self.root / "engine.log").read_text(errors="replace")

    def stop(self) -> None:
        if self.engine is not None:
            stop_process(self.engine)
            self.engine = None
            self.engine_log.close()
        if self.edge is not None:
            self.edge.stop()
            self.edge = None
