"""How a call ends, in the words the CDR, the CLI and the reports share."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from firmware.routing.toneplans import Tone


class Disposition(StrEnum):
    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    CANCELLED = "cancelled"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    QUEUED = "queued"


class Party(StrEnum):
    """Who ended the call."""

    CALLER = "caller"
    CALLEE = "callee"
    SYSTEM = "system"


@dataclass(frozen=True)
class Refusal:
    """A call that will not be connected: what the caller hears, then the SIP answer.

    The caller hears ``prompt`` (an announcement) when there is one, else ``tone``.
    """

    status: int
    phrase: str
    tone: Tone | None
    disposition: Disposition
    why: str
    by: Party = Party.SYSTEM
    prompt: str | None = None
