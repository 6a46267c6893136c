"""The Panasonic KX-TDA SMDR layout, pattern A (80 columns, no call charge): pure text.

Columns, each followed by one space except the last (widths as the KX-TDA feature
guide gives them, 72 characters of fields and 8 spaces):

    Date(8) Time(7) Ext(5) CO(2) Dial Number(25) Ring(4) Duration(8) Acc code(10) CD(3)

Time is when the call ended. Dial Number is what the extension dialed on an
outgoing call, ``<I>`` and the caller's number on an incoming one, ``EXT`` and the
number on a call between extensions. Ring is how long an incoming call rang
(m'ss), Duration the talk time (hh:mm'ss). CD, the condition code: ``TR`` a
transferred call, ``NA`` an incoming call nobody answered. No I/O here: the port
driver (drivers/smdr.py) only moves these lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from firmware.config.smdr import Smdr

WIDTHS = (8, 7, 5, 2, 25, 4, 8, 10, 3)
TITLES = ("Date", "Time", "Ext", "CO", "Dial Number", "Ring", "Duration", "Acc code", "CD")
WIDTH = sum(WIDTHS) + len(WIDTHS) - 1
_DATES = {"dd/mm/yy": "%d/%m/%y", "mm/dd/yy": "%m/%d/%y", "yy/mm/dd": "%y/%m/%d"}


@dataclass(frozen=True)
class FinishedCall:
    """What one SMDR line tells of a call, in the box's words."""

    ended_at: datetime
    extension: str
    line: int | None
    dialed: str
    incoming: bool
    intercom: bool
    ring_seconds: float | None
    talk_seconds: float
    transferred: bool
    answered: bool


def finished_call(row: Mapping[str, Any], line_numbers: Mapping[str, int]) -> FinishedCall | None:
    """The SMDR view of a closed row of the calls table; None for a record that is no call
    of its own (a request waiting for a line)."""
    if row["ended_at"] is None or row["disposition"] == "queued":
        return None
    started = datetime.fromisoformat(row["started_at"])
    ended = datetime.fromisoformat(row["ended_at"])
    answered = datetime.fromisoformat(row["answered_at"]) if row["answered_at"] else None
    incoming = row["direction"] == "inbound"
    extension = row["caller"]
    if incoming:
        reached = row["destination"] if str(row["destination"] or "").isdigit() else ""
        extension = row["transferred_to"] or row["answered_by"] or reached
    return FinishedCall(
        ended_at=ended,
        extension=extension,
        line=line_numbers.get(row["trunk"]) if row["trunk"] else None,
        dialed=row["caller"] if incoming else (row["dialed"] or row["callee"]),
        incoming=incoming,
        intercom=row["direction"] == "internal",
        ring_seconds=((answered or ended) - started).total_seconds() if incoming else None,
        talk_seconds=float(row["talk_seconds"] or 0),
        transferred=bool(row["transferred_to"]),
        answered=answered is not None,
    )


def smdr_line(call: FinishedCall, settings: Smdr, zone: ZoneInfo) -> str | None:
    """The record line (no newline), or None when the installer prints no such calls."""
    if call.intercom and not settings.intercom:
        return None
    ended = call.ended_at.astimezone(zone)
    clock = ended.strftime("%I:%M%p") if settings.clock == "12h" else ended.strftime("  %H:%M")
    if call.incoming:
        dialed = f"<I>{call.dialed}"
    elif call.intercom:
        dialed = f"EXT{call.dialed}"
    else:
        dialed = call.dialed
    condition = "TR" if call.transferred else ("NA" if call.incoming and not call.answered else "")
    return _columns(
        ended.strftime(_DATES[settings.date_format]),
        clock,
        call.extension,
        "" if call.line is None else f"{call.line if call.line < 100 else 0:02d}",
        dialed,
        "" if call.ring_seconds is None else _ring(call.ring_seconds),
        _duration(call.talk_seconds),
        "",
        condition,
    )


def header_lines() -> list[str]:
    rule = "-" * WIDTH
    return [rule, _columns(*TITLES), rule]


def _columns(*values: str) -> str:
    return " ".join(value[:width].ljust(width) for value, width in zip(values, WIDTHS, strict=True))


def _ring(seconds: float) -> str:
    whole = min(int(seconds), 9 * 60 + 59)
    return f"{whole // 60}'{whole % 60:02d}"


def _duration(seconds: float) -> str:
    whole = min(int(seconds), 99 * 3600 + 59 * 60 + 59)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}'{whole % 60:02d}"


@dataclass(frozen=True)
class Page:
    """Where the printer is on its page: lines printed since the top."""

    settings: Smdr
    printed: int = 0

    def add(self, line: str) -> tuple[list[str], Page]:
        """The lines to print for one record (a header first at the top of a page, blank
        lines for the perforation after the last line of a page) and the page after."""
        out: list[str] = []
        at = self.printed
        if at == 0 and self.settings.header:
            out.extend(header_lines())
        out.append(line)
        length = self.settings.page_length
        at += len(out)
        if length and at >= length - self.settings.skip_perforation:
            out.extend([""] * self.settings.skip_perforation)
            at = 0
        return out, Page(self.settings, at)
