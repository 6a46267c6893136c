"""sipp load through a running box, and the engine's CPU and memory while it lasts."""

from __future__ import annotations

import csv
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from tests.support import sipp
from tests.support.box import Box
from tests.support.net import free_port
from tests.support.wait import wait_until

_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Memory:
    rss_mb: float
    pss_mb: float
    detail: str


@dataclass(frozen=True)
class Step:
    calls: int
    cpu_percent: float
    rss_mb: float
    failed_at: int | None
    failure: str


def _kb(path: Path, field: str) -> int:
    for line in path.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _group(pgid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-g", str(pgid)], capture_output=True, text=True, check=False)
    return [int(p) for p in out.stdout.split()]


def idle_memory(box: Box) -> Memory:
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


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


class Registrar(Protocol):
    @property
    def server(self) -> str: ...

    def password(self, number: str) -> str: ...


class Load:
    """A sipp phone that answers and echoes, registered as ``answer_as`` at ``registrar``
    (the box itself, or the provider behind a trunk), and sipp callers from 101."""

    def __init__(
        self, box: Box, workdir: Path, *, registrar: Registrar, answer_as: str, dial: str
    ) -> None:
        self.box = box
        self.workdir = workdir
        self.dial = dial
        self.media = sipp.tone_file(workdir, 1000)
        self.echo = sipp.echo_phone(
            server=registrar.server,
            number=answer_as,
            password=registrar.password(answer_as),
            calls=1_000_000,
            cwd=workdir,
        )

    def close(self) -> None:
        self.echo.kill()
        self.echo.wait()

    def calls(
        self, count: int, *, concurrent: int, hold_ms: int, extra: list[str]
    ) -> subprocess.Popen[str]:
        return sipp.authenticated_caller(
            server=self.box.server,
            accounts={"101": self.box.password("101")},
            callee=self.dial,
            local_port=free_port(),
            media_port=free_port(),
            hold_ms=hold_ms,
            cwd=self.workdir,
            media=self.media,
            extra=["-m", str(count), "-l", str(concurrent), "-r", str(max(concurrent, 5)), *extra],
        )

    def talking(self) -> list[dict]:
        return [c for c in self.box.command("status")["calls"] if c["state"] == "talking"]

    def hold(self, count: int, hold: float) -> Step | str:
        """Holds ``count`` calls for ``hold`` s; a Step, or why it failed."""
        caller = self.calls(count, concurrent=count, hold_ms=int(hold * 1000), extra=[])
        peak = 0

        def all_up() -> bool:
            nonlocal peak
            peak = max(peak, len(self.talking()))
            return peak >= count

        try:
            wait_until(all_up, timeout=15, what=f"{count} calls up")
        except AssertionError:
            sipp.stop(caller, timeout=hold + 30)
            return f"at most {peak} of {count} calls were connected at once"
        started, cpu0 = time.monotonic(), _cpu_seconds(self.box.engine.pid)
        first = {c["record"]: c for c in self.talking()}
        wait_until(
            lambda: time.monotonic() - started > hold * 0.6, timeout=hold, what="the load to run"
        )
        elapsed, cpu = time.monotonic() - started, _cpu_seconds(self.box.engine.pid) - cpu0
        rss = _kb(Path(f"/proc/{self.box.engine.pid}/status"), "VmRSS") / 1024
        later = {c["record"]: c for c in self.talking()}
        status = sipp.stop(caller, timeout=hold + 30)
        silent = [r for r, c in later.items() if not _media_grew(first.get(r), c)]
        if status != 0:
            return f"sipp reported failed calls (exit {status})"
        if silent or len(later) < count:
            return f"{len(silent)} call(s) carried no RTP through the engine"
        return Step(count, 100 * cpu / elapsed, rss, None, "")

    def highest_simultaneous(self, *, limit: int, hold: float) -> Step:
        best = Step(0, 0.0, 0.0, None, "")
        count = 1
        while count <= limit:
            result = self.hold(count, hold)
            if isinstance(result, str):
                return Step(best.calls, best.cpu_percent, best.rss_mb, count, result)
            best = result
            wait_until(lambda: not self.box.command("status")["calls"], timeout=30, what="idle")
            count = (
                count + 1 if count < 4 else min(count * 2, limit) if count < limit else limit + 1
            )
        return best


def _media_grew(before: dict | None, after: dict) -> bool:
    if before is None:
        return False
    for old, new in zip(before["legs"], after["legs"], strict=True):
        if new["rx_packets"] <= old["rx_packets"] or new["tx_packets"] <= old["tx_packets"]:
            return False
    return True


def post_dial_delays(load: Load, count: int) -> list[float]:
    """INVITE (the authenticated one) to the first ringing response, in ms, one call at a time."""
    caller = load.calls(count, concurrent=1, hold_ms=100, extra=["-trace_rtt", "-rtt_freq", "1"])
    sipp.stop(caller, timeout=count * 5 + 30)
    [trace] = sorted(load.workdir.glob("uac_auth_*_rtt.csv"), key=lambda p: p.stat().st_mtime)[-1:]
    with trace.open() as f:
        rows = list(csv.reader(f, delimiter=";"))
    # Columns: date_ms;response_time_ms;rtd name
    return [float(r[1]) for r in rows[1:] if len(r) > 2 and r[2] == "pdd"]
