"""ESPA 4.4.4 blocks in ISO 1745 basic-mode framing: pure bytes, no I/O.

A call-to-pager block is ``SOH '1' STX records ETX BCC``: records are ``type US
value`` joined by RS, and the block check character is the XOR of every byte after
SOH up to and including ETX. Record types: 1 call address, 2 display message,
3 beep coding, 4 call type, 5 number of transmissions, 6 priority.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce

SOH, STX, ETX, EOT, ENQ, ACK, NAK = b"\x01", b"\x02", b"\x03", b"\x04", b"\x05", b"\x06", b"\x15"
US, RS = b"\x1f", b"\x1e"
CALL_TO_PAGER = b"1"


@dataclass(frozen=True)
class PagerCall:
    address: str
    text: str
    beep_coding: int = 1
    call_type: int = 3
    transmissions: int = 1
    priority: int = 1


def bcc(data: bytes) -> bytes:
    return bytes([reduce(lambda acc, byte: acc ^ byte, data, 0)])


def select(station: str) -> bytes:
    """The control station taking the line (EOT) and selecting ``station``."""
    return EOT + station.encode("ascii") + ENQ


def call_block(call: PagerCall) -> bytes:
    records = [
        (1, call.address),
        (2, call.text),
        (3, str(call.beep_coding)),
        (4, str(call.call_type)),
        (5, str(call.transmissions)),
        (6, str(call.priority)),
    ]
    data = RS.join(str(kind).encode("ascii") + US + _printable(value) for kind, value in records)
    checked = CALL_TO_PAGER + STX + data + ETX
    return SOH + checked + bcc(checked)


def _printable(value: str) -> bytes:
    """ISO 646 text: control characters would break the framing, so they become spaces;
    what ASCII cannot say becomes '?'."""
    text = "".join(" " if c < " " or c == "\x7f" else c for c in value)
    return text.encode("ascii", "replace")
