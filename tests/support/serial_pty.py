"""A serial cable for driver tests: a pty pair whose slave end a driver opens by path.

The path is a symlink the test owns, like a USB adapter's stable /dev/serial/by-id
name: ``unplug`` closes the far end (the driver's next write or read fails), and
``plug_in`` makes a new pair behind the same path.
"""

from __future__ import annotations

import os
import select
import termios
import time
from pathlib import Path


class PtyCable:
    def __init__(self, link: Path) -> None:
        self.link = link
        self.master = self._slave = -1
        self.plug_in()

    @property
    def url(self) -> str:
        return str(self.link)

    def plug_in(self) -> None:
        master, slave = os.openpty()
        name = os.ttyname(slave)
        staged = self.link.with_suffix(".new")
        staged.unlink(missing_ok=True)
        staged.symlink_to(name)
        os.replace(staged, self.link)
        # The cable holds the slave open too, so the master never reads EIO while the
        # driver has not opened its end yet.
        self.master, self._slave = master, slave

    def unplug(self) -> None:
        for fd in (self.master, self._slave):
            if fd >= 0:
                os.close(fd)
        self.master = self._slave = -1

    def read_exactly(self, size: int, *, timeout: float) -> bytes:
        """``size`` bytes from the far end, or what came by the deadline."""
        data = b""
        deadline = time.monotonic() + timeout
        while len(data) < size and (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                data += os.read(self.master, size - len(data))
        return data

    def settings(self) -> list[object]:
        """The line's settings as the driver left them (both ends share them)."""
        return termios.tcgetattr(self._slave)

    def write(self, data: bytes) -> None:
        os.write(self.master, data)
