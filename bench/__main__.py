"""``./build.sh bench``: loads a whole box with sipp and prints what it measured.

The figures come in the order PBX benchmarks of this field print them, each
with the engine's CPU and RSS at that point, next to Asterisk 20 measured the
same way on this kind of machine and to our targets. Every call is real: sipp
callers authenticate as extensions and stream G.711 RTP, the engine anchors
each call and bridges it to a sipp phone that echoes the RTP back. Each part
runs on a box of its own, so a part that overloads the box leaves the next
one a clean start.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench import inbound, profile
from bench.load import (
    Load,
    bench_box,
    call_rate,
    office_callers,
    plateau,
    post_dial_delay,
    stack_memory,
)
from tests.support.box import Box


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--pdd-rate", type=float, default=20, help="calls/s for post-dial delay")
    parser.add_argument("--rate-seconds", type=int, default=20, help="how long each rate lasts")
    parser.add_argument("--max-rate", type=int, default=200, help="calls/s of the last step")
    parser.add_argument("--rate-step", type=int, default=20)
    parser.add_argument("--hold", type=float, default=30.0, help="seconds each plateau call lasts")
    parser.add_argument("--plateaus", default="50,100,150,200,300", help="calls held at once")
    parser.add_argument("--profile-at", type=int, default=150, help="plateau to profile, 0: none")
    parser.add_argument("--queue", type=int, default=100, help="callers waiting in a queue")
    parser.add_argument("--no-inbound", action="store_true", help="skip the trunk figures")
    parser.add_argument(
        "--keep", type=Path, metavar="DIR", help="work in DIR and keep it (logs, sipp traces)"
    )
    args = parser.parse_args()
    # Stopped from outside (Ctrl-C, a timeout): still stop every box, provider and sipp.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    plateaus = [int(n) for n in args.plateaus.split(",")]
    with contextlib.ExitStack() as stack:
        if args.keep:
            args.keep.mkdir(parents=True)
            root = args.keep.resolve()
        else:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="minipbx-bench-")))
        calls = max(plateaus) + 20
        on_box(bench_box(root / "rates", calls), lambda box: rates(box, root / "rates-sipp", args))
        on_box(
            bench_box(root / "plateaus", calls),
            lambda box: held(box, root / "plateaus-sipp", args, plateaus),
        )
        if not args.no_inbound:
            office_number(root, args)


def on_box(box: Box, part: Callable[[Box], None]) -> None:
    box.start()
    try:
        part(box)
    finally:
        box.stop()


def rates(box: Box, workdir: Path, args: argparse.Namespace) -> None:
    workdir.mkdir()
    load = Load(box, workdir, office_callers(box))
    pdd = post_dial_delay(load, rate=args.pdd_rate, seconds=10)
    print(
        f"post-dial delay, INVITE to 180, {pdd.calls} calls at {args.pdd_rate:g} calls/s: "
        f"median {pdd.median_ms:.1f} ms, p95 {pdd.p95_ms:.1f} ms; {pdd.usage}; {pdd.outcome} "
        "(Asterisk 20: p95 3.1 ms; target p95 <= 3.1 ms)"
    )
    print(f"1 s calls for {args.rate_seconds} s, no failed call and no retransmission:")
    best = None
    for rate in range(args.rate_step, args.max_rate + 1, args.rate_step):
        step = call_rate(load, rate=rate, seconds=args.rate_seconds)
        print(f"  {rate} calls/s: {step.outcome}; {step.usage}")
        if not step.outcome.clean:
            break
        best = step
    print(
        f"highest clean rate: {best.rate if best else 0} calls/s"
        f"{f'; {best.usage}' if best else ''} (Asterisk 20: 140; target 140)"
    )


def held(box: Box, workdir: Path, args: argparse.Namespace, plateaus: list[int]) -> None:
    workdir.mkdir()
    idle = stack_memory(box)
    load = Load(box, workdir, office_callers(box))
    print(f"calls held {args.hold:g} s at once with media through the engine, zero failures:")
    asterisk = {150: " (Asterisk 20: 63%; target <= 80%)", 200: " (Asterisk 20: 86%)"}
    for calls in plateaus:
        raw = workdir / f"perf-{calls}.data" if calls == args.profile_at else None
        result = plateau(load, calls=calls, hold=args.hold, ramp_rate=50, profile=raw)
        verdict = "held" if result.held else f"FAILED{f' ({result.why})' if result.why else ''}"
        print(
            f"  {calls} calls: {verdict}: {result.outcome}; "
            f"{result.usage or 'no usage: never all up'}{asterisk.get(calls, '')}"
        )
        if raw is not None:
            print(f"  engine CPU at {calls} calls by thread and by library (perf samples):")
            for by in ("comm", "dso"):
                shares = profile.split(raw, by)[:6]
                found = ", ".join(f"{name} {100 * share:.0f}%" for name, share in shares)
                print(f"    {found or 'no profile: perf could not sample the engine'}")
        if not result.held:
            break
    after = stack_memory(box)
    print(
        f"whole stack idle: {idle.rss_mb:.1f} MB RSS, {idle.pss_mb:.1f} MB PSS ({idle.detail}); "
        f"after the plateaus {after.rss_mb:.1f} MB RSS, {after.pss_mb:.1f} MB PSS "
        "(Asterisk 20: 53 MB; target < 120 MB)"
    )


def office_number(root: Path, args: argparse.Namespace) -> None:
    print("calls to the office number through a SIP trunk, walking a scenario:")
    provider = inbound.provider(root)
    try:
        box = inbound.office_number_box(root, provider, "ring", calls=40)
        try:
            workdir = root / "ring-sipp"
            workdir.mkdir()
            pdd = post_dial_delay(inbound.ringing(box, provider, workdir), rate=2, seconds=20)
            print(
                f"  caller's INVITE to the first member ringing, dial step, {pdd.calls} calls: "
                f"median {pdd.median_ms:.1f} ms, p95 {pdd.p95_ms:.1f} ms; {pdd.usage}; "
                f"{pdd.outcome}"
            )
        finally:
            box.stop()
        box = inbound.office_number_box(root, provider, "wait", calls=args.queue + 20)
        try:
            workdir = root / "wait-sipp"
            workdir.mkdir()
            load = inbound.waiting(box, provider, workdir)
            result = plateau(load, calls=args.queue, hold=args.hold, ramp_rate=20)
            verdict = "held" if result.held else f"FAILED{f' ({result.why})' if result.why else ''}"
            print(
                f"  {args.queue} callers waiting in a queue with music at once: {verdict}: "
                f"{result.outcome}; {result.usage or 'no usage: never all up'}"
            )
        finally:
            box.stop()
    finally:
        provider.stop()


if __name__ == "__main__":
    main()
