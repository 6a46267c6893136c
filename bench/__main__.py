"""``./build.sh bench``: loads a whole box with sipp and prints what it measured.

Every call is real: a sipp caller authenticates as extension 101 and streams
G.711 RTP, the engine anchors the call and bridges it to a sipp phone
registered as 102 that echoes the RTP back. The engine's own RTP counters are
read during the load, so a call that carried no media through the engine
counts as failed.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from bench.load import Load, idle_memory, post_dial_delays
from tests.support.box import Box


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--hold", type=float, default=30.0, help="seconds each load step holds")
    parser.add_argument("--max-calls", type=int, default=200)
    parser.add_argument("--pdd-calls", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="minipbx-bench-") as tmp:
        box = Box(Path(tmp) / "box").start()
        try:
            run(box, Path(tmp), args)
        finally:
            box.stop()


def run(box: Box, workdir: Path, args: argparse.Namespace) -> None:
    idle = idle_memory(box)
    print(f"idle stack: {idle.rss_mb:.1f} MB RSS, {idle.pss_mb:.1f} MB PSS ({idle.detail})")
    load = Load(box, workdir)
    try:
        measure(load, args)
    finally:
        load.close()


def measure(load: Load, args: argparse.Namespace) -> None:
    delays = post_dial_delays(load, args.pdd_calls)
    delays.sort()
    p95 = delays[int(0.95 * (len(delays) - 1))]
    print(
        f"post-dial delay (INVITE to 180, extension to extension, {len(delays)} calls): "
        f"median {statistics.median(delays):.1f} ms, p95 {p95:.1f} ms (target p95 < 20 ms)"
    )
    best = load.highest_simultaneous(limit=args.max_calls, hold=args.hold)
    if best.calls:
        print(
            f"simultaneous bridged calls held {args.hold:.0f} s with zero failures: {best.calls} "
            f"(engine {best.cpu_percent:.1f}% of one core, {best.rss_mb:.1f} MB RSS; "
            f"target 60 calls under 100%)"
        )
    print(f"first failing step: {best.failed_at} calls: {best.failure}")


if __name__ == "__main__":
    main()
