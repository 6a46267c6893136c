"""More calls at once than a stock pjsua2 wheel holds (4 legs: two bridged calls).

Every call is anchored in the engine; the engine's own RTP counters on each
leg prove the media of every call passed through it, both ways.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.sip.test_inbound import join_queue, staff
from tests.sip.test_trunks import ACCOUNTS, TRUNK_USER, trunk_toml, wait_trunk
from tests.support import sipp
from tests.support.box import Box
from tests.support.wait import wait_until

pytestmark = pytest.mark.sip

CALLS = 20


def legs_counts(box: Box) -> dict[tuple[int, str], tuple[int, int]]:
    """(rx, tx) packets of every leg of every call up now, by (call record, leg role)."""
    return {
        (call["record"], leg["role"]): (leg["rx_packets"], leg["tx_packets"])
        for call in box.command("status")["calls"]
        for leg in call["legs"]
    }


def all_bridged(box: Box, count: int) -> dict[tuple[int, str], tuple[int, int]] | None:
    """The leg counters once ``count`` calls are up with media flowing on both of their legs."""
    calls: list[dict[str, Any]] = box.command("status")["calls"]
    flowing = [
        c
        for c in calls
        if len(c["legs"]) == 2 and all(leg["rx_packets"] and leg["tx_packets"] for leg in c["legs"])
    ]
    return legs_counts(box) if len(flowing) == count else None


def test_twenty_bridged_calls_carry_rtp_both_ways_through_the_engine(
    box_factory, tmp_path: Path
) -> None:
    box: Box = box_factory(extension_keys={"101": [f"max_calls = {CALLS + 5}"]})
    echo = sipp.echo_phone(
        server=box.server, number="102", password=box.password("102"), calls=CALLS, cwd=tmp_path
    )
    caller = sipp.extension_calls(
        box, hold_ms=15_000, cwd=tmp_path, extra=["-m", str(CALLS), "-l", str(CALLS), "-r", "10"]
    )
    try:
        before = wait_until(
            lambda: all_bridged(box, CALLS), timeout=20, what=f"{CALLS} calls with media"
        )
        assert len(before) == 2 * CALLS

        def every_leg_grew() -> bool:
            now = legs_counts(box)
            return all(
                now.get(leg, (0, 0))[0] > rx and now.get(leg, (0, 0))[1] > tx
                for leg, (rx, tx) in before.items()
            )

        wait_until(every_leg_grew, timeout=5, what="RTP still flowing both ways on all legs")
        assert sipp.stop(caller, timeout=60) == 0, caller.stderr.read() if caller.stderr else ""
    finally:
        if caller.poll() is None:
            caller.kill()
        sipp.stop(echo)
    rows = box.closed_calls(CALLS)
    assert [(r["caller"], r["callee"], r["disposition"]) for r in rows] == [
        ("101", "102", "answered")
    ] * CALLS
    wait_until(lambda: box.command("status")["legs_alive"] == 0, timeout=10, what="no legs left")


WAITING = 6
QUEUE = """
[[departments]]
number = "700"
name = "Support"
members = ["101"]
queue = { announce_every = 120, wrap_up = 0, max_wait = 300, max_length = 10 }

[[scenarios]]
name = "support"
steps = [{ kind = "queue", department = "700" }]
"""


def test_six_callers_wait_with_music_and_are_served_longest_waiting_first(
    box_factory, provider_factory, phone_factory
) -> None:
    customers = {f"7916555000{i}": f"Customer-Secret-{i}" for i in range(1, WAITING + 1)}
    provider = provider_factory(
        accounts={**ACCOUNTS, **customers}, dids={TRUNK_USER: TRUNK_USER}, address="127.0.0.3"
    )
    numbers = trunk_toml(provider, channels=WAITING + 2).replace(
        'destination = "100"', 'scenario = "support"'
    )
    box = box_factory(extra=QUEUE + numbers)
    wait_trunk(box, up=True)
    waiting = join_queue(phone_factory, provider, list(customers))
    queued = [c for c in box.command("status")["calls"] if c["state"] == "queued"]
    assert len(queued) == WAITING

    [member] = staff(phone_factory, box, "101")
    member.play(1500)
    for place, (phone, out) in enumerate(waiting, start=1):
        offered = member.wait_event("incoming", timeout=10)
        member.answer(offered["call"])
        member.wait_heard(700 + 100 * place, offered["call"])
        phone.wait_heard(1500, out)
        member.hangup(offered["call"])
        phone.wait_state(out, "disconnected")
    [queue] = box.command("status")["queues"]
    assert (queue["department"], queue["offered"], queue["answered"]) == ("700", WAITING, WAITING)
