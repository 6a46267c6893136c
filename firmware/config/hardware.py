"""pbx.toml sections for the box's hardware: doors (and the board's relays they use).

The board file (boards/*.toml) says what hardware exists; these sections say
what the office does with it. ``hardware_checks`` holds them against each
other and against the extensions, at the key that is wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from firmware.boards import BoardError, load_board
from firmware.config.base import ExtensionNumber, Section
from firmware.config.inbound import ModeName, Name
from firmware.config.target import Kind, Target

if TYPE_CHECKING:
    from firmware.config.schema import Config

KeyPath = tuple[str | int, ...]
Found = list[tuple[KeyPath, str]]
DeviceName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
Code = Annotated[str, Field(pattern=r"^[0-9*#]{1,4}$")]
DirectCode = Annotated[str, Field(pattern=r"^\*[0-9]{1,3}$")]
#: Where a door call may ring: someone who can answer and key the open code.
RING_KINDS = (Kind.EXTENSION, Kind.DEPARTMENT, Kind.SCENARIO)


class Door(Section):
    """A door with a station (an intercom that is an extension) and a lock on a relay."""

    name: DeviceName
    station: ExtensionNumber = Field(
        description="the door station's extension: a SIP door phone or an analog one on fxs:N"
    )
    ring: Target = Field(description="who a ring at the door calls: extension, department")
    scenarios: dict[ModeName, Name] = Field(
        default_factory=dict, description="a scenario instead of ring in these modes"
    )
    relay: DeviceName = Field(description="the lock's relay, by its name in the board file")
    open_code: Code = Field("5", description="keyed during a door call: opens the door")
    open_seconds: float = Field(5, gt=0, le=120, description="how long the lock stays open")
    openers: list[ExtensionNumber] = Field(
        default_factory=list, description="extensions that may open by direct_code, no call"
    )
    direct_code: DirectCode | None = Field(
        None, description="dialed by an opener: opens the door without a call"
    )


class PagingSettings(Section):
    """Paging over the board's audio zones (speakers with amplifiers)."""

    codes: dict[DeviceName, DirectCode] = Field(
        default_factory=dict, description="zone -> the code a phone dials to page it"
    )
    emergency_codes: dict[DeviceName, DirectCode] = Field(
        default_factory=dict, description="zone -> code for an emergency page, which cuts any"
    )
    chime: bool = Field(True, description="a chime before each page")
    amp_lead: float = Field(1.0, ge=0, le=10, description="seconds the amplifier warms up")
    max_seconds: float = Field(60, gt=0, le=600, description="longest page a phone records")
    park_zones: list[DeviceName] = Field(
        default_factory=list, description="zones that also hear 'waiting on line N'"
    )


class HoldMusic(Section):
    """Music on hold from the board's line-in, with the shipped file when it goes quiet."""

    line_in: bool = Field(True, description="take the board's line-in where it has one")
    silence_dbfs: float = Field(-50, ge=-90, le=0, description="below this, the line is quiet")
    silence_seconds: float = Field(
        5, gt=0, le=600, description="quiet this long: the file plays instead"
    )


def hardware_checks(config: Config, target: Callable[[KeyPath, Target], Found]) -> Found:
    """What the hardware sections get wrong against the board and the rest of pbx.toml.

    ``target`` checks a target the way the rest of the file's are checked.
    """
    try:
        board = load_board(config.system.board)
    except BoardError as exc:
        return [(("system", "board"), str(exc))]
    found: Found = []
    names: dict[str, int] = {}
    stations: dict[str, int] = {}
    codes: dict[str, int] = {}
    for i, door in enumerate(config.doors):
        at: KeyPath = ("doors", i)
        for value, seen, key in (
            (door.name, names, "name"),
            (door.station, stations, "station"),
            (door.direct_code, codes, "direct_code"),
        ):
            if value is not None and value in seen:
                found.append(((*at, key), f"{value} is already doors[{seen[value]}]"))
            if value is not None:
                seen.setdefault(value, i)
        amps = {zone.amp_relay for zone in board.audio.zones.values()}
        if door.relay in amps:
            found.append(((*at, "relay"), f"{door.relay} powers a paging amplifier"))
        elif door.relay not in board.relays:
            known = ", ".join(board.relays) or "none"
            found.append(
                ((*at, "relay"), f"board {board.name} has no relay {door.relay!r} ({known})")
            )
        if config.extension(door.station) is None:
            found.append(((*at, "station"), f"no extension {door.station}: add the door station"))
        if door.ring.kind not in RING_KINDS:
            found.append(((*at, "ring"), "a door rings an extension, a department or a scenario"))
        else:
            found += target((*at, "ring"), door.ring)
        for mode, scenario in door.scenarios.items():
            found += target((*at, "scenarios", mode), Target(Kind.SCENARIO, scenario))
        for j, opener in enumerate(door.openers):
            if config.extension(opener) is None:
                found.append(((*at, "openers", j), f"no extension {opener}"))
        if door.openers and door.direct_code is None:
            found.append(((*at, "direct_code"), "openers need a direct_code to dial"))
    return found + _paging(config.paging, set(board.audio.zones), codes)


def _paging(paging: PagingSettings, zones: set[str], taken: dict[str, int]) -> Found:
    found: Found = []
    known = ", ".join(sorted(zones)) or "none"
    named: list[tuple[KeyPath, str]] = [
        (("paging", "park_zones", i), z) for i, z in enumerate(paging.park_zones)
    ]
    codes: dict[str, str] = {}
    for key in ("codes", "emergency_codes"):
        for zone, code in getattr(paging, key).items():
            named.append((("paging", key, zone), zone))
            if code in codes or code in taken:
                other = codes.get(code) or f"doors[{taken[code]}].direct_code"
                found.append((("paging", key, zone), f"{code} is already {other}"))
            codes.setdefault(code, f"paging.{key}.{zone}")
    for path, zone in named:
        if zone not in zones:
            found.append((path, f"the board has no audio zone {zone!r} ({known})"))
    return found
