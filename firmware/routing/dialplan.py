"""What happens to a number dialed from an extension, and to a callee that fails.

These are decisions only; the engine carries them out on legs.
"""

from __future__ import annotations

from dataclasses import dataclass

from firmware.config.schema import Config
from firmware.routing.outcome import Disposition, Party, Refusal
from firmware.routing.toneplans import Tone


@dataclass(frozen=True)
class RingExtension:
    number: str
    name: str
    ring_timeout: float


Decision = RingExtension | Refusal

NO_ANSWER = Refusal(480, "No Answer", None, Disposition.NO_ANSWER, "not answered in time")
NO_CHANNEL = Refusal(
    503, "Service Unavailable", Tone.CONGESTION, Disposition.FAILED, "no free channel in the engine"
)


def route_call(config: Config, *, caller: str, dialed: str) -> Decision:
    callee = config.extension(dialed)
    if callee is None and config.icm is not None and dialed == config.icm.number:
        # An extension is nobody's customer: ICM has no one to look up for it.
        why = "ICM's number is for customers: a menu or a transfer sends them to it"
        return Refusal(403, "Forbidden", Tone.UNOBTAINABLE, Disposition.FAILED, why)
    if callee is None:
        return Refusal(404, "Not Found", Tone.UNOBTAINABLE, Disposition.FAILED, "no such number")
    if callee.number == caller:
        return Refusal(486, "Busy Here", Tone.BUSY, Disposition.BUSY, "called own extension")
    return RingExtension(callee.number, callee.name, config.calls.ring_timeout)


#: Feature codes for mailboxes: one's own, and any other (followed by its number).
OWN_MAILBOX = "*97"
OTHER_MAILBOX = "*98"


def voicemail_code(config: Config, caller: str, dialed: str) -> str | None:
    """The mailbox a voicemail feature code opens, or None when ``dialed`` is not one."""
    if dialed == OWN_MAILBOX:
        return caller
    if dialed.startswith(OTHER_MAILBOX):
        box = dialed[len(OTHER_MAILBOX) :]
        if config.extension(box) or config.department(box):
            return box
    return None


def callee_failed(status: int, phrase: str) -> Refusal:
    """What the caller is told when the callee's leg ends before it was answered."""
    if status in (486, 600, 603):
        return Refusal(486, "Busy Here", Tone.BUSY, Disposition.BUSY, "callee busy", Party.CALLEE)
    if status in (408, 480):
        return Refusal(
            480,
            "Temporarily Unavailable",
            Tone.CONGESTION,
            Disposition.FAILED,
            "callee not reachable",
        )
    if status == 404:
        return Refusal(404, "Not Found", Tone.UNOBTAINABLE, Disposition.FAILED, "no such number")
    why = f"callee failed: {status} {phrase}".strip()
    return Refusal(503, "Service Unavailable", Tone.CONGESTION, Disposition.FAILED, why)
