"""The engine feeds its serial drivers: a finished call comes out of the call-record port,
and a parked call sends "call for you on line N" to the handsets over ESPA."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from tests.sip.test_park import parks
from tests.support.box import Box
from tests.support.calls import talking
from tests.support.espa_receiver import EspaReceiver
from tests.support.phone import Phone
from tests.support.serial_pty import PtyCable
from tests.support.wait import wait_until

pytestmark = pytest.mark.sip


def far_end(path: str) -> PtyCable:
    """The other end of a port the engine made on the sim board, opened as a person would."""
    cable = PtyCable.__new__(PtyCable)
    cable.master = os.open(path, os.O_RDWR | os.O_NOCTTY)
    return cable


def test_a_finished_call_is_printed_on_the_call_record_port(
    box_factory: Callable[..., Box], phone_factory: Callable[[str], Phone]
) -> None:
    box = box_factory(extra="\n[smdr]\nenabled = true\nintercom = true\nheader = false\n")
    port = box.command("status")["drivers"]["smdr"]["port"]
    assert port.startswith("/dev/pts/")
    printer = far_end(port)
    try:
        ivan, olga, out, inc = talking(box, phone_factory, caller="101", callee="102")
        ivan.hangup(out)
        olga.wait_state(inc, "disconnected")
        [row] = box.closed_calls(1)
        line = printer.read_exactly(82, timeout=10).decode()
    finally:
        os.close(printer.master)
    assert line.endswith("\r\n") and len(line) == 82
    whole = int(row["talk_seconds"])
    assert line[17:22].rstrip() == "101"  # Ext
    assert line[26:51].rstrip() == "EXT102"  # Dial Number
    assert line[57:65] == f"00:{whole // 60:02d}'{whole % 60:02d}"  # Duration
    status = box.command("status")["drivers"]["smdr"]
    assert (status["state"], status["lines_waiting"]) == ("open", 0)
    shown = box.cli("status").stdout
    assert f"smdr {port}: open since " in shown and ", 0 line(s) waiting" in shown


def test_a_parked_call_is_announced_as_text_to_the_handsets(
    box_factory: Callable[..., Box], phone_factory: Callable[[str], Phone]
) -> None:
    box = box_factory(
        extra='\n[park]\nannounce_to = ["100", "103"]\n'
        "\n[espa]\nenabled = true\nanswer_timeout = 0.3\nreconnect = 0.2\n"
    )
    port = box.command("status")["drivers"]["espa"]["port"]
    paging_system = EspaReceiver(far_end(port).master)
    try:
        ivan, reception, out, inc = talking(box, phone_factory, caller="101", callee="100")
        parks(reception, inc, 1)
        wait_until(lambda: paging_system.messages, timeout=10, what="an ESPA message")
    finally:
        paging_system.close()
        os.close(paging_system.fd)
    assert paging_system.messages == [
        {1: "103", 2: "Call for you on line 1", 3: "1", 4: "3", 5: "1", 6: "1"}
    ]
    ivan.hangup(out)
