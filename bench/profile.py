"""Where the engine's CPU goes under load, sampled by perf from outside.

perf sees every thread of the engine: the Python thread that decides, and
pjmedia's own media (RTP in and out) and clock (the conference bridge) threads
that carry the audio. Split by thread and by library it shows whether Python
costs anything once calls are up, which is the question the bench asks.
"""

from __future__ import annotations

import subprocess
from pathlib import Path


def record(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        ["perf", "record", "-F", "499", "-p", str(pid), "-o", str(out), "--"]
        + ["sleep", f"{seconds:.0f}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def split(data: Path, by: str) -> list[tuple[str, float]]:
    """(thread or library, share of the samples), largest first; ``by``: comm or dso."""
    report = subprocess.run(
        ["perf", "report", "-i", str(data), "--no-children", "--sort", by, "--stdio", "-g", "none"],
        capture_output=True,
        text=True,
        check=False,
    )
    rows = []
    for line in report.stdout.splitlines():
        share, _, name = line.strip().partition("%")
        if share and not line.startswith("#"):
            try:
                rows.append((name.strip(), float(share) / 100))
            except ValueError:
                continue
    return rows
