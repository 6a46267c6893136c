"""Free loopback ports for a test's own servers and phones."""

from __future__ import annotations

import socket

import httpx

_TYPES = {"udp": socket.SOCK_DGRAM, "tcp": socket.SOCK_STREAM}


def free_port(kind: str = "udp") -> int:
    """A 127.0.0.1 port the OS just handed out for ``kind`` and that the other kind can take too.

    SIP listens on UDP and TCP at the same number, so a port half taken is no
    use. The port is released before returning: whoever binds it next should
    do so soon.
    """
    if kind not in _TYPES:
        raise ValueError(f"kind must be udp or tcp, not {kind!r}")
    other = _TYPES["tcp" if kind == "udp" else "udp"]
    for _ in range(100):
        with socket.socket(socket.AF_INET, _TYPES[kind]) as first:
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
            with socket.socket(socket.AF_INET, other) as second:
                try:
                    second.bind(("127.0.0.1", port))
                except OSError:
                    continue
        return port
    raise OSError("no port free for both UDP and TCP on 127.0.0.1")


def answers(url: str) -> bool:
    """Whether an HTTP service on this machine serves ``url`` now (200)."""
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
