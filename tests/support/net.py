"""Free loopback ports for a test's own servers and phones."""

from __future__ import annotations

import socket


def free_port(kind: str = "udp") -> int:
    """A port free for both UDP and TCP right now, so a SIP listener can take both."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
