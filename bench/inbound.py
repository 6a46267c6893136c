"""Inbound figures: how fast a scenario rings the first member, how many callers a queue holds.

Callers are sipp instances behind the provider stand-in calling the office
number; the member is a sipp phone registered to the box that echoes RTP.
"""

from __future__ import annotations

import csv
import statistics
from pathlib import Path

from tests.support import sipp
from tests.support.box import Box
from tests.support.net import free_port
from tests.support.provider import Provider
from tests.support.wait import wait_until

DIAL = """
[[departments]]
number = "600"
name = "Sales"
members = ["101"]
queue = { enabled = false }

[[departments]]
number = "700"
name = "Support"
members = ["103"]
queue = { max_length = 100, max_wait = 600 }

[[scenarios]]
name = "ring"
steps = [{ kind = "dial", target = "department:600" }]

[[scenarios]]
name = "wait"
steps = [{ kind = "queue", department = "700" }]
"""


def scenario_config(trunk: str, scenario: str, number: str) -> str:
    return (
        DIAL
        + trunk
        + f'\n[[numbers]]\nnumber = "+{number}"\ntrunk = "city"\nscenario = "{scenario}"\n'
    )


def first_member_ringing(
    box: Box, provider: Provider, workdir: Path, *, caller: str, did: str, calls: int
) -> list[float]:
    """INVITE (authenticated at the provider) to the caller's first ringing response, in ms."""
    echo = sipp.echo_phone(
        server=box.server,
        number="101",
        password=box.password("101"),
        calls=1_000_000,
        cwd=workdir,
    )
    try:
        run = sipp.authenticated_caller(
            server=provider.server,
            accounts={caller: provider.password(caller)},
            callee=did,
            local_port=free_port(),
            media_port=free_port(),
            hold_ms=100,
            cwd=workdir,
            media=sipp.tone_file(workdir, 1000),
            extra=["-m", str(calls), "-l", "1", "-r", "5", "-trace_rtt", "-rtt_freq", "1"],
        )
        sipp.stop(run, timeout=calls * 5 + 30)
    finally:
        echo.kill()
        echo.wait()
    [trace] = sorted(workdir.glob("uac_auth_*_rtt.csv"), key=lambda p: p.stat().st_mtime)[-1:]
    with trace.open() as f:
        rows = list(csv.reader(f, delimiter=";"))
    return [float(r[1]) for r in rows[1:] if len(r) > 2 and r[2] == "pdd"]


def queue_capacity(
    box: Box,
    provider: Provider,
    workdir: Path,
    *,
    caller: str,
    did: str,
    limit: int,
    hold: float,
) -> tuple[int, str]:
    """Most callers waiting with music at once (RTP flowing to each), and what stopped it."""
    best, why = 0, ""
    count = 1
    while count <= limit:
        run = sipp.authenticated_caller(
            server=provider.server,
            accounts={caller: provider.password(caller)},
            callee=did,
            local_port=free_port(),
            media_port=free_port(),
            hold_ms=int(hold * 1000),
            cwd=workdir,
            media=sipp.tone_file(workdir, 1000),
            extra=["-m", str(count), "-l", str(count), "-r", str(max(count, 5))],
        )
        peak = [0]

        def waiting(wanted: int = count, seen: list[int] = peak) -> bool:
            calls = box.command("status")["calls"]
            queued = [c for c in calls if c["state"] == "queued" and c["legs"][0]["tx_packets"]]
            seen[0] = max(seen[0], len(queued))
            return seen[0] >= wanted

        try:
            wait_until(waiting, timeout=15, what=f"{count} callers waiting")
        except AssertionError:
            why = f"at most {peak[0]} of {count} callers were waiting at once"
        status = sipp.stop(run, timeout=hold + 30)
        wait_until(lambda: not box.command("status")["calls"], timeout=30, what="idle")
        if why:
            return best, why
        if status != 0:
            return best, f"sipp reported failed calls at {count} (exit {status})"
        best = count
        count = count + 1 if count < 4 else count * 2
    return best, ""


def report(title: str, delays: list[float]) -> None:
    delays.sort()
    p95 = delays[int(0.95 * (len(delays) - 1))]
    median = statistics.median(delays)
    print(f"{title} ({len(delays)} calls): median {median:.1f} ms, p95 {p95:.1f} ms")
