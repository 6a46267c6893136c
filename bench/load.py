"""sipp load through a running box, and what the engine spends on it.

Callers are one sipp process authenticating as several extensions in turn (each
extension may place at most 60 calls), every call bridged by the engine to a
sipp phone registered as the callee that echoes the RTP back.
"""

from __future__ import annotations

import csv
import os
import signal
import statistics
import subprocess
import time
from dataclasses import dataclass, replace
from pathlib import Path

from bench import profile as profiler
from tests.support import sipp
from tests.support.box import EXTENSIONS, Box
from tests.support.net import free_port
from tests.support.wait import wait_until

_TICKS = os.sysconf("SC_CLK_TCK")

#: Extensions the bench calls from, each allowed the most calls an extension may place.
CALLERS = {f"2{n:02d}": (f"Bench caller {n}", f"Bench-Caller-Secret-{n}") for n in range(1, 7)}
CALLEE = "102"


def bench_box(root: Path, calls: int) -> Box:
    """A box sized for ``calls`` with the bench's caller extensions."""
    return Box(
        root,
        options={
            "calls": calls,
            "extensions": {**EXTENSIONS, **CALLERS},
            "extension_keys": {number: ["max_calls = 60"] for number in CALLERS},
        },
    )


def _kb(path: Path, field: str) -> int:
    for line in path.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


@dataclass(frozen=True)
class Usage:
    """The engine's CPU over a span of the load, and its RSS at the end of it."""

    cpu_percent: float
    rss_mb: float

    def __str__(self) -> str:
        return f"engine {self.cpu_percent:.0f}% of one core, {self.rss_mb:.0f} MB RSS"


class Meter:
    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.restart()

    def restart(self) -> None:
        self.started, self.cpu = time.monotonic(), _cpu_seconds(self.pid)

    def read(self) -> Usage:
        elapsed = time.monotonic() - self.started
        cpu = _cpu_seconds(self.pid) - self.cpu
        return Usage(100 * cpu / elapsed, _kb(Path(f"/proc/{self.pid}/status"), "VmRSS") / 1024)


@dataclass(frozen=True)
class Memory:
    rss_mb: float
    pss_mb: float
    detail: str


def _group(pgid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-g", str(pgid)], capture_output=True, text=True, check=False)
    return [int(p) for p in out.stdout.split()]


def stack_memory(box: Box) -> Memory:
    """RSS counts Kamailio's shared memory once per child; PSS shares it out fairly."""
    assert box.edge is not None and box.edge.pid and box.engine is not None
    parts = {"kamailio": _group(box.edge.pid), "engine": [box.engine.pid]}
    rss = {k: sum(_kb(Path(f"/proc/{p}/status"), "VmRSS") for p in v) for k, v in parts.items()}
    pss = {k: sum(_kb(Path(f"/proc/{p}/smaps_rollup"), "Pss") for p in v) for k, v in parts.items()}
    detail = ", ".join(
        f"{k} {len(parts[k])} proc {rss[k] / 1024:.1f} MB RSS / {pss[k] / 1024:.1f} MB PSS"
        for k in parts
    )
    return Memory(sum(rss.values()) / 1024, sum(pss.values()) / 1024, detail)


@dataclass(frozen=True)
class Outcome:
    """What one sipp process counted, from the last row of its -trace_stat file."""

    exit: int
    successful: int
    failed: int
    retransmissions: int
    #: Calls the engine still had up once both sides of the load were done.
    left_up: int = 0

    def __add__(self, other: Outcome) -> Outcome:
        return Outcome(
            self.exit or other.exit,
            self.successful + other.successful,
            self.failed + other.failed,
            self.retransmissions + other.retransmissions,
            self.left_up + other.left_up,
        )

    @property
    def clean(self) -> bool:
        return not (self.exit or self.failed or self.retransmissions or self.left_up)

    def __str__(self) -> str:
        text = (
            f"{self.successful} completed, {self.failed} failed, "
            f"{self.retransmissions} retransmissions"
        )
        return text + (f", {self.left_up} left up in the engine" if self.left_up else "")


def _outcome(proc: subprocess.Popen[str], exit: int, workdir: Path, scenario: str) -> Outcome:
    with (workdir / f"{scenario}_{proc.pid}_.csv").open() as f:
        *_, last = csv.DictReader(f, delimiter=";")
    return Outcome(
        exit,
        int(last["SuccessfulCall(C)"]),
        int(last["FailedCall(C)"]),
        int(last["Retransmissions(C)"]),
    )


#: Every sipp writes its counters each second, so one killed still says what it counted.
COUNTED = ["-fd", "1"]


@dataclass(frozen=True)
class Callers:
    """Who calls, where they send their INVITEs, and the number they dial."""

    server: str
    accounts: dict[str, str]
    dial: str
    caller_id: str | None = None


def office_callers(box: Box) -> Callers:
    """The bench's extensions calling the callee extension."""
    accounts = {number: password for number, (_, password) in CALLERS.items()}
    return Callers(box.server, accounts, CALLEE)


class Load:
    """Callers and, when ``answer_as`` is given, the echo phone registered as that extension,
    both run afresh for every measured step so that each step's sipp counters are its own.
    ``up`` is the engine's state of a call the load has reached (talking, queued)."""

    def __init__(
        self,
        box: Box,
        workdir: Path,
        callers: Callers,
        *,
        answer_as: str | None = CALLEE,
        up: str = "talking",
    ) -> None:
        assert box.engine is not None
        self.box, self.workdir, self.callers = box, workdir, callers
        self.answer_as, self.up = answer_as, up
        self.meter = Meter(box.engine.pid)
        self.media = sipp.tone_file(workdir, 1000)
        self.callee_port = free_port()

    def run(
        self, *, calls: int, rate: float, hold_ms: int, extra: list[str] | None = None
    ) -> Running:
        echo = None
        if self.answer_as is not None:
            echo = sipp.echo_phone(
                server=self.box.server,
                number=self.answer_as,
                password=self.box.password(self.answer_as),
                calls=1_000_000,
                cwd=self.workdir,
                port=self.callee_port,
                extra=COUNTED,
            )
        caller = sipp.authenticated_caller(
            server=self.callers.server,
            accounts=self.callers.accounts,
            caller_id=self.callers.caller_id,
            callee=self.callers.dial,
            local_port=free_port(),
            media_port=free_port(),
            hold_ms=hold_ms,
            cwd=self.workdir,
            media=self.media,
            extra=["-m", str(calls), "-l", str(calls), "-r", f"{rate:g}", *COUNTED, *(extra or [])],
        )
        self.meter.restart()
        return Running(self, caller, echo)

    def calls_up(self) -> list[dict]:
        """The load's calls the engine has up now, with media flowing to the caller."""
        calls = self.box.command("status")["calls"]
        return [c for c in calls if c["state"] == self.up and c["legs"][0]["tx_packets"]]

    def left_up(self, timeout: float) -> int:
        """How many calls the engine still has up after waiting ``timeout`` s for none."""
        try:
            wait_until(lambda: not self.box.command("status")["calls"], timeout=timeout, what="")
        except AssertionError:
            return len(self.box.command("status")["calls"])
        return 0


@dataclass
class Running:
    load: Load
    caller: subprocess.Popen[str]
    echo: subprocess.Popen[str] | None

    def finish(self, timeout: float) -> Outcome:
        """Waits for the callers to end, then stops the phone: both sides' counts.

        A side that does not end in time is killed and counted from its last row.
        """
        caller = _outcome(self.caller, _ended(self.caller, timeout), self.load.workdir, "uac_auth")
        if self.echo is not None:
            self.echo.send_signal(signal.SIGUSR1)
            echo = _outcome(self.echo, _ended(self.echo, 40), self.load.workdir, "uas_echo")
            caller += replace(echo, successful=0)  # the callers' count is the calls' count
        return caller + Outcome(0, 0, 0, 0, self.load.left_up(timeout=40))


def _ended(proc: subprocess.Popen[str], timeout: float) -> int:
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return -signal.SIGKILL


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[round(share * (len(ordered) - 1))]


@dataclass(frozen=True)
class Delays:
    median_ms: float
    p95_ms: float
    calls: int
    usage: Usage
    outcome: Outcome


def post_dial_delay(load: Load, *, rate: float, seconds: int) -> Delays:
    """The authenticated INVITE to the first ringing response, for every call at ``rate``."""
    run = load.run(
        calls=int(rate * seconds), rate=rate, hold_ms=100, extra=["-trace_rtt", "-rtt_freq", "1"]
    )
    outcome = run.finish(timeout=seconds + 30)
    usage = load.meter.read()
    with (load.workdir / f"uac_auth_{run.caller.pid}_rtt.csv").open() as f:
        rows = list(csv.reader(f, delimiter=";"))
    # Columns: date_ms;response_time_ms;rtd name
    delays = [float(r[1]) for r in rows[1:] if len(r) > 2 and r[2] == "pdd"]
    return Delays(statistics.median(delays), percentile(delays, 0.95), len(delays), usage, outcome)


@dataclass(frozen=True)
class RateStep:
    rate: int
    usage: Usage
    outcome: Outcome


def call_rate(load: Load, *, rate: int, seconds: int) -> RateStep:
    """``rate`` calls a second of 1 s calls for ``seconds``."""
    run = load.run(calls=rate * seconds, rate=rate, hold_ms=1000)
    _ended(run.caller, seconds + 60)
    usage = load.meter.read()
    return RateStep(rate, usage, run.finish(timeout=0))


@dataclass(frozen=True)
class Plateau:
    calls: int
    usage: Usage | None
    outcome: Outcome
    why: str

    @property
    def held(self) -> bool:
        return not self.why and self.outcome.clean


def plateau(
    load: Load, *, calls: int, hold: float, ramp_rate: float, profile: Path | None = None
) -> Plateau:
    """``calls`` calls up at once for ``hold`` s; every leg's RTP must grow both ways in the
    engine while all of them are up. ``profile`` samples the engine then, into that file."""
    run = load.run(calls=calls, rate=ramp_rate, hold_ms=int(hold * 1000))
    peak = 0

    def all_up() -> bool:
        nonlocal peak
        peak = max(peak, len(load.calls_up()))
        return peak >= calls

    try:
        wait_until(all_up, timeout=calls / ramp_rate + 15, what=f"{calls} calls up")
    except AssertionError:
        return Plateau(calls, None, run.finish(hold + 60), f"at most {peak} up at once")
    load.meter.restart()
    first = {c["record"]: c for c in load.calls_up()}
    window = hold - calls / ramp_rate - 5
    perf = profiler.record(load.meter.pid, window, profile) if profile else None
    time.sleep(window)  # the measuring window itself, not a wait for a condition
    usage = load.meter.read()
    if perf is not None:
        perf.wait(30)
    later = {c["record"]: c for c in load.calls_up()}
    silent = [r for r, c in later.items() if not _media_grew(first.get(r), c)]
    outcome = run.finish(hold + 60)
    why = ""
    if len(later) < calls:
        why = f"only {len(later)} still up after {window:.0f} s"
    elif silent:
        why = f"{len(silent)} call(s) carried no RTP through the engine"
    return Plateau(calls, usage, outcome, why)


def _media_grew(before: dict | None, after: dict) -> bool:
    if before is None:
        return False
    for old, new in zip(before["legs"], after["legs"], strict=True):
        if new["rx_packets"] <= old["rx_packets"] or new["tx_packets"] <= old["tx_packets"]:
            return False
    return True
