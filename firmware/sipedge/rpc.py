"""Kamailio's JSON-RPC over its Unix datagram socket (jsonrpcs), for the CLI.

The socket is in the box's run dir with mode 0600, so only the box's own user
can read or lift bans. Replies are JSON, read with the json module.
"""

from __future__ import annotations

import json
import socket
import tempfile
from pathlib import Path
from typing import Any

SOCKET_NAME = "kamailio-rpc.sock"


class KamailioRpcError(RuntimeError):
    pass


def rpc_socket(run_dir: Path) -> Path:
    return run_dir / SOCKET_NAME


def rpc_call(path: Path, method: str, *params: str, timeout: float = 2.0) -> Any:
    """Runs one RPC command and returns its ``result``; raises on an error reply.

    A datagram reply needs an address to go to: a socket in a private
    temporary directory, short enough for sun_path wherever the box lives.
    """
    request = {"jsonrpc": "2.0", "method": method, "params": list(params), "id": 1}
    with (
        tempfile.TemporaryDirectory(prefix="minipbx-rpc-") as tmp,
        socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock,
    ):
        sock.bind(str(Path(tmp) / "c"))
        sock.settimeout(timeout)
        sock.sendto(json.dumps(request).encode(), str(path))
        try:
            data = sock.recv(1 << 20)
        except TimeoutError:
            raise KamailioRpcError(f"kamailio did not answer {method} within {timeout} s") from None
    reply = json.loads(data)
    if "error" in reply:
        raise KamailioRpcError(f"{method}: {reply['error'].get('message', reply['error'])}")
    return reply.get("result")
