"""Choosing an outside line, and queuing for one when all are busy (camp-on).

Traffic is spread evenly: the least busy permitted trunk first, and among
equally busy ones the next in turn, so no line wears out while another idles.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True)
class LineState:
    up: bool
    busy: int
    channels: int
    why_down: str = ""

    @property
    def free(self) -> bool:
        return self.up and self.busy < self.channels


class NoLine(StrEnum):
    ALL_BUSY = "all_busy"
    ALL_DOWN = "all_down"


def choose_trunk(
    candidates: tuple[str, ...], lines: Mapping[str, LineState], turn: int
) -> str | NoLine:
    """The trunk for the next call, or why there is none; ``turn`` counts calls placed."""
    known = [name for name in candidates if name in lines]
    free = [name for name in known if lines[name].free]
    if not free:
        return NoLine.ALL_BUSY if any(lines[n].up for n in known) else NoLine.ALL_DOWN
    fewest = min(lines[name].busy for name in free)
    tied = [name for name in free if lines[name].busy == fewest]
    return tied[turn % len(tied)]


@dataclass
class LineRequest:
    """An extension waiting for a line to call ``number`` (E.164) on one of ``trunks``."""

    extension: str
    number: str
    trunks: tuple[str, ...]
    queued_at: float
    expires_at: float
    record: int
    ident: int = 0


@dataclass
class LineQueue:
    """First come, first served; a request leaves when served, cancelled or expired."""

    requests: list[LineRequest] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def add(self, request: LineRequest) -> LineRequest:
        self.cancel(request.extension)
        request.ident = next(self._ids)
        self.requests.append(request)
        return request

    def cancel(self, extension: str) -> None:
        """One request per extension: a newer one replaces the older."""
        self.requests = [r for r in self.requests if r.extension != extension]

    def expire(self, now: float) -> list[LineRequest]:
        gone = [r for r in self.requests if r.expires_at <= now]
        self.requests = [r for r in self.requests if r.expires_at > now]
        return gone

    def take_for(self, trunk: str, now: float) -> LineRequest | None:
        """The oldest live request that may use ``trunk``, removed from the queue."""
        self.expire(now)
        for request in self.requests:
            if trunk in request.trunks:
                self.requests.remove(request)
                return request
        return None
