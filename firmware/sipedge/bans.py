"""The SIP edge's bans and locks as the CLI shows and lifts them.

They live in Kamailio's htables ``ban`` (source address -> why) and
``locked`` (extension -> 1), read and changed over its RPC socket.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from firmware.sipedge.rpc import KamailioRpcError, rpc_call


@dataclass(frozen=True)
class Bans:
    addresses: dict[str, str]
    extensions: list[str]

    def as_json(self) -> dict[str, Any]:
        return {"banned": self.addresses, "locked": self.extensions}


def _items(socket: Path, table: str) -> dict[str, Any]:
    dump = rpc_call(socket, "htable.dump", table) or []
    return {item["name"]: item["value"] for entry in dump for item in entry["slot"]}


def read_bans(socket: Path) -> Bans:
    return Bans(
        addresses=dict(sorted(_items(socket, "ban").items())),
        extensions=sorted(_items(socket, "locked")),
    )


def lift(socket: Path, target: str) -> str:
    """Lifts the ban on an address (and forgets its failures) or the lock on an extension."""
    try:
        address = str(ipaddress.ip_address(target))
    except ValueError:
        tables = ["locked", "attacked"]
        what = f"extension {target} unlocked"
        key = target
    else:
        tables = ["ban", "authfail"]
        what = f"ban on {address} lifted"
        key = address
    if key not in _items(socket, tables[0]):
        raise KamailioRpcError(f"{target} is neither banned nor locked")
    for table in tables:
        if key in _items(socket, table):
            rpc_call(socket, "htable.delete", table, key)
    return what
