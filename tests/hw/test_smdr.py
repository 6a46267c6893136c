"""The call-record port over a real pty: exact bytes, framing, and nothing lost or doubled
when the port goes away and comes back."""

from __future__ import annotations

import os
import sqlite3
import termios
from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.serial_line import PortSettings, SerialLine
from drivers.smdr import CallRecordPort
from drivers.smdr_layout import header_lines
from firmware.config.smdr import Smdr
from tests.support.serial_pty import PtyCable
from tests.support.wait import wait_until

OUTGOING = "03/12/26 10:03AM 201   01 84951234567                    00:01'05" + " " * 15
INCOMING = "03/12/26 04:02PM 203   02 <I>+74951112233         0'07 00:02'05            TR "


def record(n: int) -> str:
    """A distinct record line per call ``n``, as the layout would print it."""
    return f"03/12/26 10:{n:02d}AM 201   01 8495000{n:04d}" + " " * 25 + "00:00'10" + " " * 15


@pytest.fixture
def cable(tmp_path: Path) -> Iterator[PtyCable]:
    made = PtyCable(tmp_path / "smdr-port")
    yield made
    made.unplug()


def start_port(tmp_path: Path, url: str, settings: Smdr) -> tuple[CallRecordPort, SerialLine]:
    line = SerialLine(url, PortSettings(settings, 0.05, settings.write_timeout))
    port = CallRecordPort(settings=settings, line=line, store=tmp_path / "pbx.db")
    port.start()
    return port, line


@pytest.fixture
def ports(tmp_path: Path) -> Iterator[list[CallRecordPort]]:
    started: list[CallRecordPort] = []
    yield started
    for port in started:
        port.stop()


def kept_lines(tmp_path: Path) -> list[str]:
    with sqlite3.connect(tmp_path / "pbx.db") as conn:
        return [r[0] for r in conn.execute("SELECT line FROM smdr_outbox ORDER BY id")]


def test_lines_leave_in_the_layout_and_framing_the_installer_set(
    tmp_path: Path, cable: PtyCable, ports: list[CallRecordPort]
) -> None:
    settings = Smdr(enabled=True, baud=1200, data_bits=7, parity="even", stop_bits=2, page_length=0)
    port, line = start_port(tmp_path, cable.url, settings)
    ports.append(port)
    port.print_record(1, OUTGOING)
    port.print_record(2, INCOMING)
    expected = b"".join(f"{text}\r\n".encode() for text in [*header_lines(), OUTGOING, INCOMING])
    assert cable.read_exactly(len(expected), timeout=5) == expected
    # Linux ptys keep the baud rate and stop bits but force 8 bits without parity, so the
    # character format is read back from the port pyserial opened.
    cflag, speed = cable.settings()[2], cable.settings()[5]
    assert cflag & termios.CSTOPB
    assert speed == termios.B1200
    opened = line.settings()
    assert (opened["bytesize"], opened["parity"], opened["stopbits"]) == (7, "E", 2)
    wait_until(lambda: port.status()["lines_waiting"] == 0, timeout=5, what="outbox empty")
    assert port.status()["state"] == "open"


def test_lf_newline_and_no_header(
    tmp_path: Path, cable: PtyCable, ports: list[CallRecordPort]
) -> None:
    settings = Smdr(enabled=True, newline="LF", header=False)
    ports.append(port := start_port(tmp_path, cable.url, settings)[0])
    port.print_record(1, OUTGOING)
    expected = f"{OUTGOING}\n".encode()
    assert cable.read_exactly(len(expected), timeout=5) == expected


def test_a_lost_port_keeps_lines_and_sends_them_in_order_once_when_it_is_back(
    tmp_path: Path, cable: PtyCable, ports: list[CallRecordPort]
) -> None:
    settings = Smdr(enabled=True, header=False, retry=0.1)
    ports.append(port := start_port(tmp_path, cable.url, settings)[0])
    port.print_record(1, record(1))
    first = f"{record(1)}\r\n".encode()
    assert cable.read_exactly(len(first), timeout=5) == first

    cable.unplug()
    for n in (2, 3, 4):
        port.print_record(n, record(n))
    wait_until(
        lambda: port.status()["state"] == "lost" and port.status()["lines_waiting"] == 3,
        timeout=5,
        what="the port lost with three lines kept",
    )
    assert kept_lines(tmp_path) == [record(2), record(3), record(4)]
    assert port.status()["last_error"]

    cable.plug_in()
    kept = b"".join(f"{record(n)}\r\n".encode() for n in (2, 3, 4))
    assert cable.read_exactly(len(kept), timeout=5) == kept
    port.print_record(5, record(5))
    fifth = f"{record(5)}\r\n".encode()
    assert cable.read_exactly(len(fifth), timeout=5) == fifth  # nothing sent twice before it
    wait_until(lambda: not kept_lines(tmp_path), timeout=5, what="the outbox emptied")
    assert port.status()["state"] == "open"


def test_the_same_call_record_is_printed_once(
    tmp_path: Path, cable: PtyCable, ports: list[CallRecordPort]
) -> None:
    settings = Smdr(enabled=True, header=False)
    ports.append(port := start_port(tmp_path, cable.url, settings)[0])
    port.print_record(7, record(7))
    port.print_record(7, record(7))
    port.print_record(8, record(8))
    expected = f"{record(7)}\r\n{record(8)}\r\n".encode()
    assert cable.read_exactly(len(expected), timeout=5) == expected


def test_the_sim_board_port_is_a_pty_a_person_can_read_and_keeps_lines_while_nobody_does(
    tmp_path: Path, ports: list[CallRecordPort]
) -> None:
    settings = Smdr(enabled=True, header=False, retry=0.1)
    ports.append(port := start_port(tmp_path, "sim", settings)[0])
    path = wait_until(
        lambda: port.status()["port"] if port.status()["port"] != "sim" else None,
        timeout=5,
        what="the pty's path",
    )
    reader = os.open(path, os.O_RDONLY | os.O_NOCTTY)
    port.print_record(1, record(1))
    assert _read(reader, len(record(1)) + 2) == f"{record(1)}\r\n".encode()
    os.close(reader)
    port.print_record(2, record(2))
    wait_until(lambda: port.status()["state"] == "lost", timeout=5, what="nobody reading")
    assert kept_lines(tmp_path) == [record(2)]
    reader = os.open(path, os.O_RDONLY | os.O_NOCTTY)
    try:
        assert _read(reader, len(record(2)) + 2) == f"{record(2)}\r\n".encode()
    finally:
        os.close(reader)


def _read(fd: int, size: int) -> bytes:
    cable = PtyCable.__new__(PtyCable)
    cable.master = fd
    return cable.read_exactly(size, timeout=5)


def test_a_printer_that_holds_the_line_gets_the_rest_later_and_nothing_twice(
    tmp_path: Path, cable: PtyCable, ports: list[CallRecordPort]
) -> None:
    """Nobody reads the far end, so the pty fills as a printer's buffer does and holds
    the line back (flow control); then it reads again and every line comes whole, once."""
    settings = Smdr(enabled=True, header=False, retry=0.1, write_timeout=0.2)
    ports.append(port := start_port(tmp_path, cable.url, settings)[0])
    count = 2000
    for n in range(1, count + 1):
        port.print_record(n, record(n % 10000))
    wait_until(
        lambda: "not ready" in (port.status()["last_error"] or ""),
        timeout=10,
        what="the printer holding the line back",
    )
    assert port.status()["lines_waiting"] > 0
    expected = b"".join(f"{record(n % 10000)}\r\n".encode() for n in range(1, count + 1))
    assert cable.read_exactly(len(expected), timeout=30) == expected
    wait_until(lambda: not kept_lines(tmp_path), timeout=10, what="the outbox emptied")
