"""The paging system's side of an ESPA 4.4.4 link, written from the protocol text, not from
the driver: it answers its address's select with ACK, checks each block's BCC (XOR of
every byte after SOH up to and including ETX) and answers ACK or NAK, and can be told to
refuse or ignore a number of selects and blocks first."""

from __future__ import annotations

import os
import select
import threading
from dataclasses import dataclass, field

SOH, STX, ETX, EOT, ENQ, ACK, NAK = 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x15
US, RS = 0x1F, 0x1E


@dataclass
class Misbehaviour:
    """How many selects and blocks to answer NAK, or not at all, before behaving."""

    nak_selects: int = 0
    silent_selects: int = 0
    nak_blocks: int = 0
    silent_blocks: int = 0


@dataclass
class EspaReceiver:
    fd: int
    address: str = "2"
    misbehave: Misbehaviour = field(default_factory=Misbehaviour)
    messages: list[dict[int, str]] = field(default_factory=list)
    dialogue: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._buffer = bytearray()
        self._block: bytearray | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(self.fd, 256)
            except OSError:
                return
            for byte in data:
                self._byte(byte)

    def _byte(self, byte: int) -> None:
        if self._block is not None:
            self._block.append(byte)
            if len(self._block) >= 2 and self._block[-2] == ETX:
                self._take_block(bytes(self._block))
                self._block = None
        elif byte == SOH:
            self._block = bytearray()
        elif byte == EOT:
            self.dialogue.append("EOT")
            self._buffer.clear()
        elif byte == ENQ:
            self._selected(self._buffer.decode("ascii", "replace"))
            self._buffer.clear()
        else:
            self._buffer.append(byte)

    def _selected(self, address: str) -> None:
        self.dialogue.append(f"select {address}")
        if address != self.address:
            return
        if self.misbehave.silent_selects:
            self.misbehave.silent_selects -= 1
        elif self.misbehave.nak_selects:
            self.misbehave.nak_selects -= 1
            self._answer(NAK)
        else:
            self._answer(ACK)

    def _take_block(self, block: bytes) -> None:
        """``block``: everything after SOH, BCC included."""
        checked, sent_bcc = block[:-1], block[-1]
        bcc = 0
        for byte in checked:
            bcc ^= byte
        self.dialogue.append("block")
        if self.misbehave.silent_blocks:
            self.misbehave.silent_blocks -= 1
            return
        if bcc != sent_bcc or self.misbehave.nak_blocks:
            self.misbehave.nak_blocks = max(0, self.misbehave.nak_blocks - 1)
            self._answer(NAK)
            return
        header, rest = checked[:1], checked[1:]
        assert header == b"1" and rest[0] == STX and rest[-1] == ETX, block
        records = {}
        for record in rest[1:-1].split(bytes([RS])):
            kind, value = record.split(bytes([US]), 1)
            records[int(kind)] = value.decode("ascii")
        self.messages.append(records)
        self._answer(ACK)

    def _answer(self, answer: int) -> None:
        self.dialogue.append("ACK" if answer == ACK else "NAK")
        os.write(self.fd, bytes([answer]))
