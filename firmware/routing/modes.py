"""Operating modes (day, lunch, night): which one holds now, and forcing one by feature code.

Times are read on the wall clock of the datetime given, which must be the
box's local time (``config.system.timezone``): an office's lunch is at 13:00
local time whatever the season. A holiday holds ``holiday_mode`` all day.
Otherwise the *last* schedule period covering the weekday and time wins, so a
lunch period written after a day period cuts a hole in it; outside every
period ``default`` holds.

Forcing a mode (``*801``, a panel button) lasts until the next scheduled
change: forced to night at 16:00 on a day that ends at 18:00, the box returns
to its schedule at 18:00 by itself, so a forgotten force never lasts more than
one period. A schedule that does not change within ``HORIZON`` (a box that is
always in one mode) has no next change; a force there lasts until released
(``*800``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from firmware.config.inbound import Modes, Period, parse_clock, parse_days
from firmware.config.schema import Config

#: How far ahead ``next_change`` looks: a week and a day covers every weekly schedule.
HORIZON = timedelta(days=8)
#: The key after the feature code that returns to the schedule.
RELEASE_KEY = "0"


@dataclass(frozen=True)
class ModeOverride:
    """A forced mode; ``until`` None lasts until released. ``by`` is who forced it."""

    mode: str
    until: datetime | None
    by: str | None = None


@dataclass(frozen=True)
class ForceMode:
    """The feature code with a force key: ``mode`` holds until the next scheduled change."""

    mode: str
    key: str


@dataclass(frozen=True)
class ReleaseMode:
    """The feature code with 0: back to the schedule."""


def mode_at(modes: Modes, at: datetime) -> str:
    """The scheduled mode at ``at`` (box-local wall clock), holidays included."""
    if at.date() in modes.holidays:
        return modes.holiday_mode
    seconds = _seconds(at.time())
    for period in reversed(modes.schedule):
        start, end = _bounds(period)
        if at.weekday() in parse_days(period.days) and start <= seconds < end:
            return period.mode
    return modes.default


def next_change(modes: Modes, at: datetime) -> datetime | None:
    """The first instant after ``at`` whose scheduled mode differs, or None within ``HORIZON``.

    The mode can only change at a period's start or end or at midnight (a
    holiday, another weekday), so only those instants are tried, in order.
    """
    now = mode_at(modes, at)
    clocks = {time(0)} | {parse_clock(p.start) for p in modes.schedule}
    clocks |= {parse_clock(p.end) for p in modes.schedule} - {time.max}
    wall = at.replace(tzinfo=None)
    for offset in range(HORIZON.days + 1):
        day = at.date() + timedelta(days=offset)
        for clock in sorted(clocks):
            candidate = datetime.combine(day, clock)
            if candidate > wall and candidate - wall <= HORIZON:
                instant = candidate.replace(tzinfo=at.tzinfo)
                if mode_at(modes, instant) != now:
                    return instant
    return None


def force(modes: Modes, mode: str, at: datetime, by: str | None = None) -> ModeOverride:
    """Force ``mode`` from ``at`` until the schedule next changes (see the module docstring)."""
    return ModeOverride(mode, next_change(modes, at), by)


def effective_mode(modes: Modes, at: datetime, override: ModeOverride | None) -> tuple[str, str]:
    """The mode calls follow at ``at`` and why, in words for the installer and the CLI."""
    if override is not None and (override.until is None or at < override.until):
        who = f" by {override.by}" if override.by else ""
        return override.mode, f"forced{who} {_until(override.until, at)}"
    if at.date() in modes.holidays:
        return modes.holiday_mode, "holiday"
    return mode_at(modes, at), "scheduled"


def feature_code(modes: Modes, dialed: str) -> ForceMode | ReleaseMode | None:
    """``*801`` forces force_keys["1"], ``*800`` releases; anything else is not a mode code."""
    if not dialed.startswith(modes.feature_code):
        return None
    key = dialed.removeprefix(modes.feature_code)
    if key == RELEASE_KEY:
        return ReleaseMode()
    if key in modes.force_keys:
        return ForceMode(modes.force_keys[key], key)
    return None


def may_force(config: Config, extension: str) -> bool:
    """Listed in ``modes.may_force``; when nobody is listed, the admins."""
    if config.modes.may_force:
        return extension in config.modes.may_force
    found = config.extension(extension)
    return found is not None and found.role == "admin"


def _until(until: datetime | None, at: datetime) -> str:
    if until is None:
        return "until released"
    local = until.astimezone(at.tzinfo) if at.tzinfo else until
    if local.date() == at.date():
        return f"until {local:%H:%M}"
    return f"until {local:%a %d %b %H:%M}"


def _bounds(period: Period) -> tuple[int, int]:
    """Seconds since midnight; an end of 24:00 is the end of the day."""
    end = parse_clock(period.end)
    return _seconds(parse_clock(period.start)), 86400 if end == time.max else _seconds(end)


def _seconds(clock: time) -> int:
    return clock.hour * 3600 + clock.minute * 60 + clock.second
