"""Codes keyed during a call by a phone without feature keys (analog, DECT).

``[dialing] transfer`` and an extension hands the call on (``*2103``, ended
by ``#`` or a pause); ``add_party`` and an extension brings them into the call,
all three hearing each other (``*3103#``); ``park`` parks it in the lowest free slot, ``park`` and a
slot in that one (``*73``); ``[recording] code`` starts recording the call, and
keyed again pauses it (``*1``). Dialed as a call of its own, ``park`` and a slot
takes the call parked there. Only a party that is an extension of the box
keys codes; a customer's digits are theirs.
"""

from __future__ import annotations

from dataclasses import dataclass

from firmware.config.schema import Config


@dataclass(frozen=True)
class TransferTo:
    number: str


@dataclass(frozen=True)
class AddParty:
    number: str


@dataclass(frozen=True)
class ParkIn:
    """Park the call: in ``slot``, or the lowest free one when None."""

    slot: int | None = None


@dataclass(frozen=True)
class ToggleRecording:
    """Start recording the call, or pause the recording under way."""


@dataclass(frozen=True)
class KeepKeying:
    """The digits may still become a code: wait for more, a ``#`` or the pause."""


InCall = TransferTo | AddParty | ParkIn | ToggleRecording | KeepKeying


def in_call_code(config: Config, keyed: str, *, complete: bool) -> InCall | None:
    """What ``keyed`` asks for; None when it is no code (the digits are forgotten).

    ``complete``: no further digit came within the pause, or ``#`` ended them.
    """
    codes = config.dialing
    done = complete or keyed.endswith("#")
    digits = keyed.removesuffix("#")
    for prefix, kind in ((codes.transfer, TransferTo), (codes.add_party, AddParty)):
        if digits.startswith(prefix):
            number = digits[len(prefix) :]
            if not done:
                return KeepKeying()
            return kind(number) if number.isdigit() else None
    if digits.startswith(codes.park):
        rest = digits[len(codes.park) :]
        if not rest:
            return ParkIn() if done else KeepKeying()
        longer = (str(s) for s in range(1, config.park.slots + 1))
        if not done and any(s.startswith(rest) and s != rest for s in longer):
            return KeepKeying()
        slot = park_slot(config, digits)
        return ParkIn(slot) if slot is not None else None
    prefixes = (codes.transfer, codes.add_party, codes.park, config.recording.code)
    if digits == config.recording.code:
        return ToggleRecording()
    if any(code.startswith(digits) for code in prefixes) and not done:
        return KeepKeying()
    return None


def park_slot(config: Config, dialed: str) -> int | None:
    """The slot ``dialed`` names after the park code (``*73``: 3), or None."""
    rest = dialed.removeprefix(config.dialing.park)
    if rest == dialed or not rest.isdigit():
        return None
    slot = int(rest)
    return slot if 1 <= slot <= config.park.slots else None


def free_slot(config: Config, taken: set[int], wanted: int | None) -> int | None:
    """The slot a park goes to: ``wanted`` when free, else the lowest free; None if full."""
    if wanted is not None:
        return None if wanted in taken else wanted
    return next((s for s in range(1, config.park.slots + 1) if s not in taken), None)
