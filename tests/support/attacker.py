"""An attacker on the LAN: raw SIP from a loopback address other than the box's own.

Kamailio exempts its own address (127.0.0.1) from its screening, so attacks
come from 127.0.0.2 and above. Every helper is bounded in count and time.
"""

from __future__ import annotations

import secrets
import socket
import subprocess
from pathlib import Path

from tests.support.phone import SCALE


def request(
    method: str, target: str, *, source: str, port: int, headers: str = "", to_tag: str = ""
) -> bytes:
    """A well-formed request from ``source:port``; ``headers`` are extra lines, CRLF-ended."""
    tag = f";tag={to_tag}" if to_tag else ""
    return (
        f"{method} {target} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP {source}:{port};branch=z9hG4bK{secrets.token_hex(8)};rport\r\n"
        "Max-Forwards: 70\r\n"
        f"From: <sip:attacker@{source}>;tag={secrets.token_hex(4)}\r\n"
        f"To: <{target}>{tag}\r\n"
        f"Call-ID: {secrets.token_hex(10)}@{source}\r\n"
        f"CSeq: 1 {method}\r\n"
        f"{headers}"
        "Content-Length: 0\r\n\r\n"
    ).encode()


class Attacker:
    """A UDP socket bound to ``source``; ``send`` returns the first reply's status or None."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((source, 0))
        self.port: int = self.sock.getsockname()[1]

    def __enter__(self) -> Attacker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    def send(self, data: bytes, box_port: int, *, timeout: float = 1.0) -> int | None:
        """The final status of the reply, skipping 1xx; None when the box stays silent."""
        self.sock.sendto(data, ("127.0.0.1", box_port))
        self.sock.settimeout(timeout * SCALE)
        try:
            while True:
                status = int(self.sock.recv(65535).split(b" ", 2)[1])
                if status >= 200:
                    return status
        except TimeoutError:
            return None


def sipsak_register(*, box_port: int, user: str, password: str, source: str, cwd: Path) -> int:
    """One REGISTER with a password through sipsak; its exit code.

    0 registered, 1 forbidden (403), 2 refused (wrong credentials), 3 no answer (dropped).
    """
    return subprocess.run(
        ["sipsak", "-U", "-s", f"sip:{user}@127.0.0.1:{box_port}", "-u", user, "-a", password]
        + ["-k", source, "-H", source, "-x", "60", "-Z", str(round(50 * SCALE))],
        cwd=cwd,
        capture_output=True,
        timeout=30,
        check=False,
    ).returncode
