"""Call pickup: which ringing phone a pickup code answers.

Group pickup (``[dialing] pickup``, ``*8``) takes the phone that has rung
longest among those sharing a pickup group with the one who dials; directed
pickup (``directed_pickup`` and an extension, ``**102``) takes that
extension's ringing phone, whatever its group. An extension's groups are its
``pickup_groups``, or, when it names none, its departments: colleagues of one
department answer each other's phones. Nobody picks up a call they placed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from firmware.config.schema import Config


@dataclass(frozen=True)
class Ringing:
    """Call record ``call`` ringing ``extension``, placed by ``caller``; the lowest
    record is the call that came first."""

    call: int
    extension: str
    caller: str


@dataclass(frozen=True)
class PickupCode:
    """A pickup dialed: ``extension`` for a directed one, None for the group's."""

    extension: str | None = None


def pickup_code(config: Config, dialed: str) -> PickupCode | None:
    """The pickup ``dialed`` asks for, or None when it is no pickup code."""
    codes = config.dialing
    if dialed == codes.pickup:
        return PickupCode()
    if dialed.startswith(codes.directed_pickup) and len(dialed) > len(codes.directed_pickup):
        return PickupCode(dialed[len(codes.directed_pickup) :])
    return None


def groups(config: Config, extension: str) -> frozenset[str]:
    """The pickup groups of ``extension``: its own, or its departments (as ``dept:N``)."""
    found = config.extension(extension)
    if found is None:
        return frozenset()
    if found.pickup_groups:
        return frozenset(found.pickup_groups)
    return frozenset(f"dept:{d.number}" for d in config.departments if extension in d.members)


def choose(
    config: Config, picker: str, code: PickupCode, ringing: Sequence[Ringing]
) -> Ringing | None:
    """The ringing phone ``picker`` answers with ``code``, or None when there is none."""
    mine = groups(config, picker)

    def answers(r: Ringing) -> bool:
        if picker in (r.caller, r.extension):
            return False
        if code.extension is not None:
            return r.extension == code.extension
        return bool(mine & groups(config, r.extension))

    return min(filter(answers, ringing), key=lambda r: r.call, default=None)
