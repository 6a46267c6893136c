"""Kamailio's log: rotated, bounded, readable by the box only, and without credentials.

Kamailio writes to stderr; a thread copies each line into a size-rotated file.
Kamailio is configured never to log a message it rejects, and any line that
still names digest credentials is cut before it is written.
"""

from __future__ import annotations

import io
import logging.handlers
import os
import re
import threading
from pathlib import Path
from typing import IO

MAX_BYTES = 1_000_000
BACKUPS = 3
_CREDENTIALS = re.compile(
    rb"((?:proxy-)?authorization\s*:|\bresponse\s*=|\bnonce\s*=|\bcnonce\s*=).*", re.IGNORECASE
)


def redact(line: bytes) -> bytes:
    """Keeps what a line says up to the first credential field, then marks the cut."""
    return _CREDENTIALS.sub(rb"\1 [redacted]", line)


class PrivateRotatingFile(logging.handlers.RotatingFileHandler):
    """A RotatingFileHandler whose files are created 0600 and kept so."""

    def _open(self) -> io.TextIOWrapper:
        """Append-only text, as RotatingFileHandler with a size limit forces mode "a" anyway."""
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.fchmod(fd, 0o600)
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)


def start_log_pump(stream: IO[bytes], path: Path) -> threading.Thread:
    """Copies ``stream`` line by line into ``path`` (and its rotations) until it closes."""
    handler = PrivateRotatingFile(
        path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", errors="replace"
    )
    handler.setFormatter(logging.Formatter("%(message)s"))

    def pump() -> None:
        try:
            for line in stream:
                text = redact(line.rstrip(b"\r\n")).decode("utf-8", "replace")
                handler.emit(logging.makeLogRecord({"msg": text, "levelno": logging.INFO}))
        finally:
            stream.close()
            handler.close()

    thread = threading.Thread(target=pump, name="kamailio-log", daemon=True)
    thread.start()
    return thread
