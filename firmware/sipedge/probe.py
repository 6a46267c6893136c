"""A SIP OPTIONS ping: the one honest answer to "is the SIP edge up?"."""

from __future__ import annotations

import secrets
import socket


def options_ping(host: str, port: int, *, timeout: float = 0.5) -> int | None:
    """Sends OPTIONS and returns the response status, or None when nothing answered."""
    branch = "z9hG4bK" + secrets.token_hex(8)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host if host != "0.0.0.0" else "127.0.0.1", 0))
        local_port = sock.getsockname()[1]
        target = "127.0.0.1" if host == "0.0.0.0" else host
        request = (
            f"OPTIONS sip:{target}:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {target}:{local_port};branch={branch};rport\r\n"
            "Max-Forwards: 70\r\n"
            f"From: <sip:probe@{target}>;tag={secrets.token_hex(4)}\r\n"
            f"To: <sip:{target}:{port}>\r\n"
            f"Call-ID: {secrets.token_hex(12)}@{target}\r\n"
            "CSeq: 1 OPTIONS\r\n"
            "Content-Length: 0\r\n\r\n"
        )
        sock.settimeout(timeout)
        try:
            sock.sendto(request.encode(), (target, port))
            data, _ = sock.recvfrom(65535)
        except (TimeoutError, ConnectionRefusedError):
            return None
    first = data.split(b"\r\n", 1)[0].split()
    return int(first[1]) if len(first) >= 2 and first[1].isdigit() else None
