"""Calls with sipp, a SIP peer that is not pjsua2, so pjsua2 talking to itself hides nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import sipp
from tests.support.box import Box
from tests.support.net import free_port
from tests.support.wait import wait_until

pytestmark = pytest.mark.sip


def test_phone_calls_sipp_and_hears_itself_echoed_through_the_box(
    box: Box, phone_factory, tmp_path: Path
) -> None:
    echo = sipp.echo_phone(
        server=box.server, number="102", password=box.password("102"), calls=1, cwd=tmp_path
    )
    alice = phone_factory("alice")
    alice.register(box, "101")
    alice.play(700)
    out = alice.call(f"sip:102@{box.domain}")
    alice.wait_state(out, "confirmed")
    alice.wait_heard(700, out)
    alice.hangup(out)
    assert sipp.stop(echo) == 0, echo.stderr.read() if echo.stderr else ""
    [row] = box.closed_calls(1)
    assert (row["caller"], row["callee"], row["disposition"], row["hangup_by"]) == (
        "101",
        "102",
        "answered",
        "caller",
    )


def test_sipp_with_digest_auth_calls_a_phone_that_hears_its_tone(
    box: Box, phone_factory, tmp_path: Path
) -> None:
    bob = phone_factory("bob")
    bob.register(box, "102")
    bob.auto_answer(200)
    caller = sipp.extension_calls(box, hold_ms=3000, cwd=tmp_path, extra=["-m", "1"])
    inc = bob.wait_event("incoming")["call"]
    bob.wait_heard(1000, inc)
    bob.wait_state(inc, "disconnected", timeout=10)
    assert sipp.stop(caller) == 0, caller.stderr.read() if caller.stderr else ""
    [row] = box.closed_calls(1)
    assert (row["caller"], row["disposition"], row["hangup_by"]) == ("101", "answered", "caller")


def test_sipp_with_a_wrong_password_is_refused(box: Box, tmp_path: Path) -> None:
    reg = sipp.register(
        server=box.server,
        number="102",
        password="Wrong-Password-1",
        contact_port=free_port(),
        local_port=free_port(),
        cwd=tmp_path,
    )
    assert reg.returncode != 0


def test_calls_in_quick_succession_leave_no_leg_behind(box: Box, tmp_path: Path) -> None:
    """pjsua reuses call slots within a few calls; a Call object kept too long would cut the
    newer call in its slot off from its events, leaving it up forever."""
    echo = sipp.echo_phone(
        server=box.server, number="102", password=box.password("102"), calls=12, cwd=tmp_path
    )
    caller = sipp.extension_calls(
        box, hold_ms=100, cwd=tmp_path, extra=["-m", "12", "-l", "1", "-r", "10"]
    )
    assert sipp.stop(caller, timeout=60) == 0, caller.stderr.read() if caller.stderr else ""
    sipp.stop(echo)
    rows = box.closed_calls(12)
    assert [r["disposition"] for r in rows] == ["answered"] * 12
    status = box.command("status")
    assert (status["calls"], status["legs_alive"]) == ([], 0)


def test_a_caller_that_vanishes_mid_call_is_hung_up_when_its_rtp_stops(
    box_factory, phone_factory, tmp_path: Path
) -> None:
    """A phone that loses power sends no BYE: without a media timeout its call, and the
    line it holds, would stay up for ever."""
    box: Box = box_factory(media_timeout=2)
    bob = phone_factory("bob")
    bob.register(box, "102")
    bob.auto_answer(200)
    caller = sipp.extension_calls(box, hold_ms=60_000, cwd=tmp_path, extra=["-m", "1"])
    inc = bob.wait_event("incoming")["call"]
    bob.wait_heard(1000, inc)  # the call is up, media flowing
    caller.kill()  # power cut: no BYE, no more RTP
    caller.wait()
    bob.wait_state(inc, "disconnected", timeout=10)
    [row] = box.closed_calls(1)
    assert (row["disposition"], row["hangup_by"], row["reason"]) == (
        "answered",
        "system",
        "no RTP from the a leg for 2 s",
    )
    wait_until(lambda: box.command("status")["legs_alive"] == 0, timeout=10, what="no legs")
