"""A serial port named by the board: a pyserial URL, or ``sim`` for a pseudo-terminal.

``sim`` opens a new pty's master side through pyserial (``/dev/ptmx``) and shows
the other side's path (``/dev/pts/N``), so a person can ``cat`` the call records
or point a paging-system simulator at it. The line is the driver's seam: tests hand
it one end of their own pty pair.
"""

from __future__ import annotations

import ctypes
import os
import select
import termios
import time
from dataclasses import dataclass

import serial

from firmware.config.serial_port import SerialFraming

SIMULATED = "sim"
_PARITY = {"none": serial.PARITY_NONE, "even": serial.PARITY_EVEN, "odd": serial.PARITY_ODD}
_LIBC = ctypes.CDLL(None, use_errno=True)


class LineGoneError(Exception):
    """The port or the device at its end went away; the driver reopens it later."""


@dataclass(frozen=True)
class PortSettings:
    framing: SerialFraming
    read_timeout: float
    write_timeout: float


class SerialLine:
    def __init__(self, url: str, settings: PortSettings) -> None:
        self.url = url
        self._settings = settings
        self._port: serial.Serial | None = None
        self.shown = url
        """Where a person finds the port: the URL, or the pty's other end for ``sim``."""

    @property
    def is_open(self) -> bool:
        return self._port is not None

    def open(self) -> None:
        """Raises ``LineGoneError`` when the port cannot be opened (unplugged, missing)."""
        framing = self._settings.framing
        try:
            port = serial.serial_for_url(
                "/dev/ptmx" if self.url == SIMULATED else self.url,
                baudrate=framing.baud,
                bytesize=framing.data_bits,
                parity=_PARITY[framing.parity],
                stopbits=framing.stop_bits,
                rtscts=framing.flow_control == "rtscts",
                timeout=self._settings.read_timeout,
                write_timeout=self._settings.write_timeout,
            )
        except (serial.SerialException, OSError, ValueError) as exc:
            raise LineGoneError(f"cannot open {self.url}: {exc}") from exc
        if self.url == SIMULATED:
            self.shown = _other_end(port)
        self._port = port

    def close(self) -> None:
        if self._port is not None:
            self._port.close()
            self._port = None

    def settings(self) -> dict[str, object]:
        """The settings the port is open with, as pyserial reports them."""
        return dict(self._require().get_settings())

    def peer_present(self) -> bool:
        """False when the other end has hung up (a pty whose reader closed it). A real
        UART never reports this; its lost printer shows as a failed or timed-out write."""
        port = self._require()
        poller = select.poll()
        poller.register(port.fileno(), select.POLLOUT)
        return not any(events & select.POLLHUP for _, events in poller.poll(0))

    def write(self, data: bytes) -> int:
        """Writes what the device takes before the write timeout and says how much: fewer
        bytes than ``data`` when flow control holds the rest back (the caller sends the
        rest later, so nothing is sent twice). ``LineGoneError`` on an error.

        pyserial's own write raises on its timeout without saying how much went out, so
        the bytes go to the port's descriptor (opened and set up by pyserial) here.
        """
        port = self._require()
        try:
            descriptor = port.fileno()
        except (AttributeError, NotImplementedError, serial.SerialException):
            return self._write_whole(port, data)
        sent = 0
        deadline = time.monotonic() + self._settings.write_timeout
        while sent < len(data):
            try:
                written = os.write(descriptor, data[sent:])  # what fits now, maybe part
            except BlockingIOError:
                written = 0
            except OSError as exc:
                raise LineGoneError(f"write to {self.shown} failed: {exc}") from exc
            sent += written
            if written:
                continue
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([], [descriptor], [], left)[1]:
                break
        return sent

    def write_all(self, data: bytes) -> None:
        """All of ``data``, or ``LineGoneError``: for short protocol frames."""
        if self.write(data) < len(data):
            raise LineGoneError(f"{self.shown} not ready (flow control)")

    def _write_whole(self, port: serial.Serial, data: bytes) -> int:
        """A port without a descriptor (``loop://``, network URLs): all or an error."""
        try:
            port.write(data)
            port.flush()
        except (serial.SerialException, OSError) as exc:
            raise LineGoneError(f"write to {self.shown} failed: {exc}") from exc
        return len(data)

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes; fewer (maybe none) when the read timeout passes first."""
        port = self._require()
        try:
            return bytes(port.read(size))
        except (serial.SerialException, OSError) as exc:
            raise LineGoneError(f"read from {self.shown} failed: {exc}") from exc

    def discard_input(self) -> None:
        try:
            self._require().reset_input_buffer()
        except (serial.SerialException, OSError, termios.error) as exc:
            raise LineGoneError(f"{self.shown}: {exc}") from exc

    def _require(self) -> serial.Serial:
        if self._port is None:
            raise LineGoneError(f"{self.url} is not open")
        return self._port


def _other_end(port: serial.Serial) -> str:
    """Unlocks a pty master opened through /dev/ptmx and names its slave."""
    fd = port.fileno()
    name = ctypes.create_string_buffer(128)
    if _LIBC.grantpt(fd) or _LIBC.unlockpt(fd) or _LIBC.ptsname_r(fd, name, len(name)):
        port.close()
        raise LineGoneError(f"cannot set up a pty: errno {ctypes.get_errno()}")
    return name.value.decode()
