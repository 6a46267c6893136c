"""Limits on the calls one extension may make: one rule, whatever is counted.

A limit compares a count (calls up now, calls in the last hour) with a
ceiling; once the count has reached it the next call is refused, and the
refusal says which limit in the words the call record keeps.
"""

from __future__ import annotations

from firmware.config.schema import Config, Extension
from firmware.routing.outcome import Disposition, Refusal


def over_limit(limit: int, count: int, what: str) -> str | None:
    """Why the next call is refused once ``count`` has reached ``limit``; None below it."""
    return f"limit of {limit} {what} reached" if count >= limit else None


def call_cap(
    config: Config, extension: Extension, *, placed: int, emergency: bool = False
) -> Refusal | None:
    """The cap on calls an extension places at once, internal and outside alike.

    One extension must not hold every leg of the engine (a stolen password
    dialing unknown numbers, a phone stuck redialing). Past its cap a call
    gets a plain 486 at once, with no tone and no announcement, so the
    refusal itself holds no leg and no media. An emergency call always goes
    out.
    """
    if emergency:
        return None
    why = over_limit(config.call_cap_for(extension), placed, "simultaneous calls")
    if why is None:
        return None
    return Refusal(486, "Call Limit Reached", None, Disposition.BUSY, why)
