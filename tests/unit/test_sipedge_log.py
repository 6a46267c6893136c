"""Kamailio's log file: bounded by rotation, 0600, and credentials cut from every line."""

from __future__ import annotations

import os
from pathlib import Path

from firmware.sipedge import logfile


def test_credentials_are_cut_from_a_line() -> None:
    line = b'NOTICE: bad <Authorization: Digest username="101", response="abc">'
    assert logfile.redact(line) == b"NOTICE: bad <Authorization: [redacted]"
    assert logfile.redact(b"registration of 101 from 127.0.0.2") == (
        b"registration of 101 from 127.0.0.2"
    )


def test_the_log_rotates_within_its_bound_and_is_private(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(logfile, "MAX_BYTES", 2000)
    read_end, write_end = os.pipe()
    path = tmp_path / "kamailio.log"
    pump = logfile.start_log_pump(os.fdopen(read_end, "rb"), path)
    with os.fdopen(write_end, "wb") as kamailio:
        for n in range(500):
            kamailio.write(b"WARNING: malformed SIP from 127.0.0.2 refused %d\n" % n)
    pump.join(5)
    files = sorted(tmp_path.iterdir())
    assert [f.name for f in files] == [
        "kamailio.log",
        "kamailio.log.1",
        "kamailio.log.2",
        "kamailio.log.3",
    ]
    assert all(f.stat().st_size <= 2100 for f in files)
    assert {oct(f.stat().st_mode & 0o777) for f in files} == {"0o600"}
    assert path.read_text().splitlines()[-1].endswith("refused 499")
