"""``./build.sh bench``: loads a whole box with sipp and prints what it measured.

Every call is real: a sipp caller authenticates as extension 101 and streams
G.711 RTP, the engine anchors the call and bridges it to a sipp phone
registered as 102 that echoes the RTP back. The engine's own RTP counters are
read during the load, so a call that carried no media through the engine
counts as failed.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import tempfile
from pathlib import Path

from bench.inbound import first_member_ringing, queue_capacity, report, scenario_config
from bench.load import Load, idle_memory, post_dial_delays
from tests.support.box import Box
from tests.support.provider import Provider

TRUNK_USER, MOBILE = "74951110000", "79161234567"


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--hold", type=float, default=30.0, help="seconds each load step holds")
    parser.add_argument("--max-calls", type=int, default=200)
    parser.add_argument("--pdd-calls", type=int, default=40)
    args = parser.parse_args()
    # Stopped from outside (Ctrl-C, a timeout): still stop every box, provider and sipp.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    with tempfile.TemporaryDirectory(prefix="minipbx-bench-") as tmp:
        root = Path(tmp)
        box = Box(root / "box").start()
        try:
            idle = idle_memory(box)
            print(f"idle stack: {idle.rss_mb:.1f} MB RSS, {idle.pss_mb:.1f} MB PSS ({idle.detail})")
            measure(
                "extension to extension",
                Load(box, root, registrar=box, answer_as="102", dial="102"),
                args,
            )
        finally:
            box.stop()
        provider = Provider(
            root / "provider",
            accounts={TRUNK_USER: "Trunk-Secret-1", MOBILE: "Mobile-Secret-1"},
            dids={TRUNK_USER: TRUNK_USER},
            address="127.0.0.3",
        ).start()
        try:
            box = Box(root / "trunkbox", options={"extra": trunk(provider)}).start()
            try:
                provider.wait_registered(TRUNK_USER, timeout=10)
                measure(
                    "extension to a mobile through a SIP trunk",
                    Load(box, root, registrar=provider, answer_as=MOBILE, dial="9" + MOBILE),
                    args,
                )
            finally:
                box.stop()
            inbound(root, provider, args)
        finally:
            provider.stop()


def inbound(root: Path, provider: Provider, args: argparse.Namespace) -> None:
    print("-- calls to the office number walking a scenario")
    for scenario, name in (("ring", "inboxring"), ("wait", "inboxwait")):
        box = Box(
            root / name, options={"extra": scenario_config(trunk(provider), scenario, TRUNK_USER)}
        )
        box.start()
        try:
            provider.wait_registered(TRUNK_USER, timeout=10)
            workdir = root / f"{name}-sipp"
            workdir.mkdir()
            if scenario == "ring":
                delays = first_member_ringing(
                    box, provider, workdir, caller=MOBILE, did=TRUNK_USER, calls=args.pdd_calls
                )
                report("caller's INVITE to the first member ringing, dial step", delays)
            else:
                best, why = queue_capacity(
                    box,
                    provider,
                    workdir,
                    caller=MOBILE,
                    did=TRUNK_USER,
                    limit=args.max_calls,
                    hold=args.hold,
                )
                print(f"callers waiting in a queue with music at once: {best}")
                if why:
                    print(f"first failing step: {why}")
        finally:
            box.stop()


def trunk(provider: Provider) -> str:
    return f"""
[[trunks]]
name = "city"
kind = "sip"
host = "{provider.server}"
username = "{TRUNK_USER}"
password = "Trunk-Secret-1"
channels = 120
caller_id = "+{TRUNK_USER}"

[outbound]
max_calls = 60
max_per_hour = 10000
"""


def measure(title: str, load: Load, args: argparse.Namespace) -> None:
    print(f"-- {title}")
    try:
        delays = sorted(post_dial_delays(load, args.pdd_calls))
        p95 = delays[int(0.95 * (len(delays) - 1))]
        print(
            f"post-dial delay (INVITE to first ringing response, {len(delays)} calls): "
            f"median {statistics.median(delays):.1f} ms, p95 {p95:.1f} ms (target p95 < 20 ms)"
        )
        best = load.highest_simultaneous(limit=args.max_calls, hold=args.hold)
        if best.calls:
            print(
                f"simultaneous bridged calls held {args.hold:.0f} s with zero failures: "
                f"{best.calls} (engine {best.cpu_percent:.1f}% of one core, "
                f"{best.rss_mb:.1f} MB RSS; target 60 calls under 100%)"
            )
        print(f"first failing step: {best.failed_at} calls: {best.failure}")
    finally:
        load.close()


if __name__ == "__main__":
    main()
