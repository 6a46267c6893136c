"""Doors: where a ring at the door goes, and which digits open which door for whom.

A call from a door station rings the door's target (a scenario in the modes
that name one); during it, the party that answered keys the open code. An
opener dials the door's direct code and the door opens without a call; anyone
else dialing it is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from firmware.config.hardware import Door
from firmware.config.schema import Config
from firmware.config.target import Kind, Target
from firmware.routing.incall import KeepKeying


class How(StrEnum):
    """How a door was opened, as the openings log keeps it."""

    DURING_CALL = "during_call"
    DIRECT_CODE = "direct_code"
    CONSOLE = "console"


@dataclass(frozen=True)
class OpenDoor:
    door: str
    how: How


@dataclass(frozen=True)
class NotAnOpener:
    """The direct code of ``door``, dialed by an extension not among its openers."""

    door: str


def door_at(config: Config, station: str) -> Door | None:
    """The door whose station is ``station``, or None for every other extension."""
    return next((d for d in config.doors if d.station == station), None)


def door_named(config: Config, name: str) -> Door | None:
    return next((d for d in config.doors if d.name == name), None)


def door_ring(door: Door, mode: str) -> Target:
    """Who a ring at ``door`` calls in ``mode``: the mode's scenario, else its ring."""
    scenario = door.scenarios.get(mode)
    return Target(Kind.SCENARIO, scenario) if scenario else door.ring


def door_code_in_call(
    config: Config, *, caller: str, keyer: str, keyed: str, complete: bool
) -> OpenDoor | KeepKeying | None:
    """What ``keyer``'s digits do in a call from ``caller``: None when not a door call, when
    the door station itself keys, or when the digits are not the door's open code."""
    door = door_at(config, caller)
    if door is None or keyer == door.station:
        return None
    digits = keyed.removesuffix("#")
    if digits == door.open_code:
        return OpenDoor(door.name, How.DURING_CALL)
    done = complete or keyed.endswith("#")
    if door.open_code.startswith(digits) and not done:
        return KeepKeying()
    return None


def direct_open(config: Config, extension: str, dialed: str) -> OpenDoor | NotAnOpener | None:
    """The door ``dialed`` opens for ``extension``; None when ``dialed`` is no direct code."""
    door = next((d for d in config.doors if d.direct_code == dialed), None)
    if door is None:
        return None
    if extension not in door.openers:
        return NotAnOpener(door.name)
    return OpenDoor(door.name, How.DIRECT_CODE)
