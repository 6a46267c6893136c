"""The inbound part of pbx.toml: operating modes, departments, menus, scenarios, voicemail.

Where a key, a step or an overflow points is a ``Target`` (firmware.config.target),
written ``extension:101``, ``department:600``, ``menu:main`` ... and parsed once here.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from firmware.config.base import ExtensionNumber, Seconds, Section
from firmware.config.target import Kind, Target

ModeName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,19}$")]
Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
Key = Annotated[str, Field(pattern=r"^[0-9*#]$")]
Pin = Annotated[str, Field(pattern=r"^[0-9]{4,8}$")]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_SPEC = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)(-(mon|tue|wed|thu|fri|sat|sun))?$")


def parse_days(spec: str) -> frozenset[int]:
    """``"mon-fri"``, ``"sat,sun"`` or ``"mon,wed-fri"`` as weekday numbers (Monday 0)."""
    days: set[int] = set()
    for part in spec.replace(" ", "").lower().split(","):
        found = _DAY_SPEC.match(part)
        if not found:
            raise ValueError(f"{spec!r}: days are written like 'mon-fri' or 'sat,sun'")
        first = DAYS.index(found.group(1))
        last = DAYS.index(found.group(3)) if found.group(3) else first
        days.update(
            range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)]
        )
    return frozenset(days)


def parse_clock(text: str) -> time:
    found = re.match(r"^([01][0-9]|2[0-3]):([0-5][0-9])$", text)
    if text == "24:00":
        return time.max
    if not found:
        raise ValueError(f"{text!r}: times are written HH:MM, 00:00 to 24:00")
    return time(int(found.group(1)), int(found.group(2)))


class Period(Section):
    """A mode that holds on some weekdays between two times of day."""

    mode: ModeName
    days: str = "mon-sun"
    start: str = "00:00"
    end: str = "24:00"

    @field_validator("days")
    @classmethod
    def _days(cls, value: str) -> str:
        parse_days(value)
        return value

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        parse_clock(value)
        return value

    @model_validator(mode="after")
    def _order(self) -> Period:
        if parse_clock(self.start) >= parse_clock(self.end):
            raise ValueError(f"start {self.start} must be before end {self.end}")
        return self


class Modes(Section):
    """Day, lunch and night: later schedule entries win where they overlap."""

    default: ModeName = "night"
    schedule: list[Period] = Field(
        default_factory=lambda: [
            Period(mode="day", days="mon-fri", start="09:00", end="18:00"),
            Period(mode="lunch", days="mon-fri", start="13:00", end="14:00"),
        ]
    )
    holidays: list[date] = []
    holiday_mode: ModeName = "night"
    feature_code: Annotated[str, Field(pattern=r"^\*[0-9]{1,3}$")] = "*80"
    force_keys: dict[Key, ModeName] = Field(
        default_factory=lambda: {"1": "day", "2": "lunch", "3": "night"},
        description="feature code + key forces that mode; feature code + 0 releases",
    )
    may_force: list[ExtensionNumber] = Field(
        default_factory=list, description="extensions that may force a mode; empty: admins"
    )

    @property
    def names(self) -> list[str]:
        found = [self.default, self.holiday_mode, *(p.mode for p in self.schedule)]
        return list(dict.fromkeys(found))

    @property
    def known_names(self) -> list[str]:
        """The modes a call can meet: the scheduled ones and those a feature code forces."""
        return list(dict.fromkeys([*self.names, *self.force_keys.values()]))


class Menu(Section):
    name: Name
    prompt: str = "menu_default"
    keys: dict[Key, Target] = {}
    direct_dial: bool = True
    timeout: Seconds = 5
    default: Target | None = None
    max_invalid: int = Field(3, ge=1, le=10)


StepKind = Literal[
    "greeting", "icm", "menu", "dial", "queue", "voicemail", "forward", "run", "hangup"
]
_STEP_FIELDS: dict[str, set[str]] = {
    "greeting": {"prompt"},
    "icm": {"ring_timeout"},
    "menu": {"menu"},
    "dial": {"target", "ring_timeout"},
    "queue": {"department"},
    "voicemail": {"mailbox"},
    "forward": {"number", "ring_timeout"},
    "run": {"scenario"},
    "hangup": set(),
}
_STEP_NEEDS = {
    "menu": "menu",
    "dial": "target",
    "queue": "department",
    "voicemail": "mailbox",
    "forward": "number",
    "run": "scenario",
}


class Step(Section):
    kind: StepKind
    prompt: str | None = Field(None, description="greeting: a prompt name; time_of_day by default")
    menu: Name | None = None
    target: Target | None = None
    ring_timeout: Seconds | None = None
    department: ExtensionNumber | None = None
    mailbox: ExtensionNumber | None = None
    number: str | None = None
    scenario: Name | None = None

    @model_validator(mode="after")
    def _fields_for_kind(self) -> Step:
        given = {
            k
            for k in _STEP_FIELDS["dial"] | set(_STEP_NEEDS.values()) | {"prompt"}
            if getattr(self, k) is not None
        }
        foreign = given - _STEP_FIELDS[self.kind]
        if foreign:
            raise ValueError(f"a {self.kind} step takes no {', '.join(sorted(foreign))}")
        needed = _STEP_NEEDS.get(self.kind)
        if needed and getattr(self, needed) is None:
            raise ValueError(f"a {self.kind} step needs {needed}")
        if (
            self.kind == "dial"
            and self.target
            and self.target.kind not in (Kind.EXTENSION, Kind.DEPARTMENT)
        ):
            raise ValueError("a dial step rings an extension:N or a department:N")
        return self


class Scenario(Section):
    name: Name
    steps: list[Step] = Field(min_length=1)


class QueueSettings(Section):
    enabled: bool = True
    max_wait: Seconds = 300
    max_length: int = Field(10, ge=1, le=100)
    overflow: Target | None = Field(
        None, description="where callers go when it is full or too long"
    )
    announce_every: Seconds = 40
    announce_position: bool = True
    offer_callback: bool = True
    callback_key: Key = "1"
    wrap_up: float = Field(10, ge=0, le=600)
    service_level: Seconds = 15
    music: str = "default"


class Department(Section):
    number: ExtensionNumber
    name: str = Field(min_length=1, max_length=60)
    strategy: Literal["all", "sequential", "increasing"] = "all"
    step: Seconds = 10
    ring_timeout: Seconds = 30
    members: list[ExtensionNumber] = Field(min_length=1)
    queue: QueueSettings = QueueSettings()
    voicemail_pin: Pin | None = None


class Conference(Section):
    """A meet-me room: whoever dials its number (and its PIN) talks with everyone in it."""

    number: ExtensionNumber
    name: str = Field(min_length=1, max_length=60)
    pin: Pin | None = None


class Voicemail(Section):
    max_seconds: Seconds = 120
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(25, ge=1, le=65535)
    email_from: str = Field("pbx@localhost", pattern=r"^[^@\s]+@[^@\s]+$")
    attach: bool = True
