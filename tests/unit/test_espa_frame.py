"""ESPA 4.4.4 call-to-pager block bytes, against the published example."""

from __future__ import annotations

from drivers.espa_frame import PagerCall, call_block, select


def test_the_published_example_block_with_its_xor_check() -> None:
    # SOH 1 STX 1 US 550 RS 2 US CALL ME 101 RS 3 US 3 RS 4 US 3 RS 5 US 3 RS 6 US 3 ETX,
    # then the XOR of every byte after SOH through ETX (worked out once: 0x23).
    block = call_block(PagerCall("550", "CALL ME 101", 3, 3, 3, 3))
    assert block == (
        b"\x011\x021\x1f550\x1e2\x1fCALL ME 101\x1e3\x1f3\x1e4\x1f3\x1e5\x1f3\x1e6\x1f3\x03\x23"
    )


def test_text_cannot_break_the_framing() -> None:
    block = call_block(PagerCall("201", "Door\x03 1\x1e ringing, Дверь"))
    assert b"\x1fDoor  1  ringing, ?????\x1e" in block
    assert block.count(b"\x03") == 1


def test_select_takes_the_line_first() -> None:
    assert select("2") == b"\x042\x05"
