"""Inbound calls: which scenario a call to one of the box's numbers follows, and its steps.

The engine walks a scenario one step at a time with ``next_step``; this module
answers each question the walk asks (what does this target name, which greeting
now, what did the caller's digits choose) without touching a call.

A ``run`` step hands the call to another scenario for good (it does not come
back): the engine goes on with ``next_step(config, step.scenario, -1)``.
Config checks refuse ``run`` loops, but a menu's ``scenario:`` target can
still lead back, so the engine hands one call to another scenario at most
``MAX_RUN_DEPTH`` times and then hangs up: no config, however edited, keeps a
call spinning in the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from firmware.config.inbound import Department, Menu, Scenario, Step
from firmware.config.load import number_plan
from firmware.config.schema import Config, Extension, Number
from firmware.config.target import ICM, Kind, Target
from firmware.routing.modes import ModeOverride, effective_mode
from firmware.routing.numbers import NumberError, read_number

#: Seconds without a further digit after which a menu's digits are complete.
INTER_DIGIT = 2.0
#: Hand-overs to another scenario one call may take; the next one ends the call instead.
MAX_RUN_DEPTH = 8


@dataclass(frozen=True)
class InboundPlan:
    """Where a call to ``number`` goes: an extension (``destination``) or a ``scenario``."""

    number: str
    mode: str
    why: str
    destination: str | None = None
    scenario: str | None = None


@dataclass(frozen=True)
class Resolved:
    """A target and what it names in the config, None if nothing."""

    target: Target
    found: Extension | Department | Menu | Scenario | None

    @property
    def exists(self) -> bool:
        return self.target.kind in (Kind.HANGUP, Kind.ICM) or self.found is not None


@dataclass(frozen=True)
class Wait:
    """The digits may still become a choice: collect more for up to ``INTER_DIGIT`` s."""


@dataclass(frozen=True)
class Invalid:
    digits: str


def local_time(config: Config, at: datetime) -> datetime:
    """``at`` on the box's wall clock; a naive time already is."""
    zone = ZoneInfo(config.system.timezone)
    return at.replace(tzinfo=zone) if at.tzinfo is None else at.astimezone(zone)


def owned_number(config: Config, text: str) -> Number | None:
    """The ``[[numbers]]`` entry ``text`` is, however it is written, or None."""
    plan = number_plan(config)
    try:
        wanted = read_number(text, plan).normal
    except NumberError:
        return None
    for entry in config.numbers:
        try:
            if read_number(entry.number, plan).normal == wanted:
                return entry
        except NumberError:
            continue
    return None


def inbound_plan(
    config: Config, did_e164: str, at: datetime, override: ModeOverride | None = None
) -> InboundPlan | None:
    """What a call to ``did_e164`` at ``at`` does; None when the box does not own the number.

    With ``scenarios`` per mode, a mode the number lists no scenario for
    (typically one only ever forced) uses the scenario of ``modes.default``,
    failing that the first listed, and ``why`` says so.
    """
    entry = owned_number(config, did_e164)
    if entry is None:
        return None
    number = read_number(entry.number, number_plan(config)).normal
    mode, why = effective_mode(config.modes, local_time(config, at), override)
    if entry.scenarios is None:
        return InboundPlan(number, mode, why, entry.destination, entry.scenario)
    scenario = entry.scenarios.get(mode)
    if scenario is None:
        scenario = entry.scenarios.get(config.modes.default) or next(iter(entry.scenarios.values()))
        why += f"; the number has no {mode} scenario, so {scenario}"
    return InboundPlan(number, mode, why, scenario=scenario)


def time_of_day_prompt(at: time) -> str:
    """Good morning from 05:00, good day from 11:00, good evening from 17:00 through the night."""
    if time(5) <= at < time(11):
        return "good_morning"
    if time(11) <= at < time(17):
        return "good_day"
    return "good_evening"


def greeting_prompt(step: Step, at: datetime | time) -> str:
    """A greeting step's prompt; none given, or ``time_of_day``, greets by the box's clock."""
    if step.prompt and step.prompt != "time_of_day":
        return step.prompt
    return time_of_day_prompt(at.time() if isinstance(at, datetime) else at)


def resolve(config: Config, target: Target) -> Resolved:
    """What a target names in this config; a voicemail box belongs to an extension or department."""
    kind, value = target.kind, target.value
    found: Extension | Department | Menu | Scenario | None = None
    if kind is Kind.EXTENSION:
        found = config.extension(value)
    elif kind is Kind.DEPARTMENT:
        found = config.department(value)
    elif kind is Kind.VOICEMAIL:
        found = config.extension(value) or config.department(value)
    elif kind is Kind.MENU:
        found = config.menu(value)
    elif kind is Kind.SCENARIO:
        found = config.scenario(value)
    return Resolved(target, found)


def menu_choice(
    config: Config, menu: Menu, digits: str, *, complete: bool
) -> Target | Wait | Invalid:
    """What the caller's digits so far choose in ``menu``: a target, wait for more, or invalid.

    ``complete`` is set by the engine after ``INTER_DIGIT`` s without a digit.
    A key that is also the first digit of a number dialable directly waits for
    that pause before it counts. No digits at all is the menu's ``timeout``,
    not a choice, so it waits.
    """
    numbers = _direct_numbers(config) if menu.direct_dial else {}
    longer = any(n.startswith(digits) and n != digits for n in numbers)
    if not digits or (longer and not complete):
        return Wait()
    if digits in menu.keys:
        return menu.keys[digits]
    if digits in numbers:
        return numbers[digits]
    return Invalid(digits)


def next_step(config: Config, scenario: str, index: int) -> tuple[str, int, Step] | None:
    """The step after ``index`` (-1: the first) of ``scenario``, or None when it has no more.

    A scenario removed or shortened by a reload while a call is in it ends
    the walk rather than the engine.
    """
    found = config.scenario(scenario)
    if found is None or index + 1 >= len(found.steps):
        return None
    return scenario, index + 1, found.steps[index + 1]


def _direct_numbers(config: Config) -> dict[str, Target]:
    """Numbers a caller may dial in a menu with direct dial, and the target each is."""
    found = {d.number: Target(Kind.DEPARTMENT, d.number) for d in config.departments}
    found.update({e.number: Target(Kind.EXTENSION, e.number) for e in config.extensions})
    if config.icm is not None:
        found[config.icm.number] = ICM
    return found
