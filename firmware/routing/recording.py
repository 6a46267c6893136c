"""Whether a call is recorded from the moment it is answered, and why (``[recording]``)."""

from __future__ import annotations

from firmware.config.schema import Config
from firmware.routing.numbers import NumberError, NumberPlan, read_number


def recorded_because(
    config: Config, plan: NumberPlan, *, caller: str, answered_by: str, dialed: str, direction: str
) -> str | None:
    """Why the call is recorded ("extension 101", "department 600", "number +74951110000");
    None when nothing in ``[recording]`` asks for it.

    ``dialed`` is what the caller dialed: an extension or department number for an
    internal call, the office number (E.164) a call from a line arrived on.
    """
    section = config.recording
    for party in (caller, answered_by):
        if party in section.extensions:
            return f"extension {party}"
    if direction == "internal" and dialed in section.departments:
        return f"department {dialed}"
    if direction == "inbound":
        for number in section.numbers:
            try:
                if read_number(number, plan).normal == dialed:
                    return f"number {dialed}"
            except NumberError:
                continue  # refused by config check
    return None
