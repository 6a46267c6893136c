"""ICM's decision: which manager a returning caller reaches, from what each source answered.

Pure, like the rest of ``routing``: the caller's number, what every source
said, the rules from pbx.toml and a presence snapshot come in, an
``IcmDecision`` comes out. Asking the sources is ``firmware.icm_lookup``'s
job, ringing the manager the engine's.

The walk follows ``icm.sources`` in order and the first source that names an
extension ICM may route to wins; an extension that is no extension of the box,
or is in ``icm.exceptions`` (the director who once spoke to a customer), counts
as not found and the walk goes on. A winner who cannot take the call now
(offline, on do-not-disturb, busy) sends the call on to the scenario's next
step, exactly where it would have gone without ICM: the caller does not get
another source's manager, who may never have heard of them. Nothing found
goes to ``icm.default``, else to the next step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from firmware.config.inbound import Step
from firmware.config.schema import Config
from firmware.config.target import Target
from firmware.routing.numbers import NumberError, NumberPlan, read_number

Action = Literal["ring", "default", "next"]


class Verdict(StrEnum):
    """How one source counted in the walk."""

    CHOSEN = "chosen"
    NOT_FOUND = "not_found"
    SKIPPED = "skipped"
    FAILED = "failed"
    NOT_CONSULTED = "not_consulted"


@dataclass(frozen=True)
class SourceAnswer:
    """What one source said about the caller.

    ``extension`` is the responsible extension it names (a CRM user already
    mapped to one), None for no match; ``error`` is why it could not answer
    (``timeout``, ``auth``, ``unreachable`` ...). ``consulted`` is False for a
    source nobody asked, and ``detail`` then says why (``offline``); otherwise
    it says where the answer came from, for the trail.
    """

    source: str
    extension: str | None = None
    error: str | None = None
    detail: str = ""
    consulted: bool = True


@dataclass(frozen=True)
class TrailEntry:
    source: str
    verdict: Verdict
    why: str
    extension: str | None = None


@dataclass(frozen=True)
class IcmDecision:
    """What the engine does with the call, and the trail that explains it.

    ``action``: ``ring`` the manager ``extension``; ``default``: go to
    ``target`` (``icm.default``); ``next``: the scenario's next step.
    ``extension`` and ``source`` name the manager found even when ``action``
    is ``next`` because they cannot take the call now: the record says whom
    ICM would have rung and why it did not.
    """

    caller: str
    number: str | None
    action: Action
    extension: str | None = None
    source: str | None = None
    target: Target | None = None
    trail: tuple[TrailEntry, ...] = ()


@dataclass(frozen=True)
class Presence:
    """Who can be rung at the moment of the call, as the engine knows it."""

    registered: frozenset[str] = frozenset()
    busy: frozenset[str] = frozenset()
    dnd: frozenset[str] = frozenset()

    def unavailable(self, extension: str) -> str | None:
        """Why ``extension`` cannot be rung now, or None when it can."""
        if extension not in self.registered:
            return "offline (no phone registered)"
        if extension in self.dnd:
            return "on do-not-disturb"
        if extension in self.busy:
            return "busy on another call"
        return None


@dataclass(frozen=True)
class IcmRules:
    """The parts of pbx.toml the walk reads, so it needs no Config."""

    sources: tuple[str, ...]
    extensions: frozenset[str]
    exceptions: frozenset[str] = frozenset()
    default: Target | None = None
    region: str = "RU"
    area_codes: tuple[str, ...] = ()
    history_days: int = 90

    @classmethod
    def of(cls, config: Config) -> IcmRules:
        """The rules of ``config``'s ``[icm]``; local numbers take the box's own area code
        unless ``icm.area_codes`` names others."""
        icm = config.icm
        if icm is None:
            raise ValueError("the config has no [icm] section")
        area_codes = icm.area_codes or [config.system.area_code]
        return cls(
            sources=tuple(icm.sources),
            extensions=frozenset(e.number for e in config.extensions),
            exceptions=frozenset(icm.exceptions),
            default=icm.default,
            region=config.system.region,
            area_codes=tuple(a for a in area_codes if a),
            history_days=icm.history_days,
        )

    def history_since(self, now: datetime) -> datetime:
        """The oldest call the history source still counts."""
        return now - timedelta(days=self.history_days)

    def customer_number(self, text: str) -> str | None:
        """``text`` as the E.164 digits (no "+") every source is asked with, or None when
        it is no customer's number (anonymous, an extension, a short code).

        A local number without its area code gets the first of ``area_codes`` that
        makes it a valid number, so ``1234567`` in 495 is ``74951234567``, the
        same customer as ``+7 495 123-45-67`` and ``8 495 1234567``.
        """
        for area_code in self.area_codes or ("",):
            try:
                number = read_number(text, NumberPlan(region=self.region, area_code=area_code))
            except NumberError:
                continue
            return number.e164.removeprefix("+") if number.e164 else None
        return None


def ring_timeout(config: Config, step: Step | None) -> float:
    """How long the manager rings: the step's own ``ring_timeout``, else ``icm.ring_timeout``."""
    if step is not None and step.ring_timeout is not None:
        return step.ring_timeout
    return config.icm.ring_timeout if config.icm else config.calls.ring_timeout


def judge(answer: SourceAnswer, rules: IcmRules) -> TrailEntry:
    """How one answer counts before presence: a manager (``CHOSEN``) or why not."""
    found = answer.extension
    if not answer.consulted:
        return TrailEntry(answer.source, Verdict.NOT_CONSULTED, answer.detail)
    if answer.error is not None:
        why = f"{answer.error}: {answer.detail}" if answer.detail else answer.error
        return TrailEntry(answer.source, Verdict.FAILED, why)
    if found is None:
        return TrailEntry(answer.source, Verdict.NOT_FOUND, answer.detail or "no match")
    if found not in rules.extensions:
        why = f"{found} is not an extension of this box"
    elif found in rules.exceptions:
        why = f"{found} is in icm.exceptions"
    else:
        return TrailEntry(answer.source, Verdict.CHOSEN, answer.detail, found)
    return TrailEntry(answer.source, Verdict.SKIPPED, why, found)


def names_manager(answer: SourceAnswer, rules: IcmRules) -> bool:
    """True when the walk stops at this answer: the lookup need ask no later source."""
    return judge(answer, rules).verdict is Verdict.CHOSEN


def decide(
    caller: str,
    number: str | None,
    answers: Mapping[str, SourceAnswer] | Sequence[SourceAnswer],
    rules: IcmRules,
    presence: Presence,
) -> IcmDecision:
    """The walk over ``rules.sources`` with what each answered (a source missing from
    ``answers`` was not asked); see the module's docstring for the rules."""
    given = answers if isinstance(answers, Mapping) else {a.source: a for a in answers}
    trail: list[TrailEntry] = []
    winner: TrailEntry | None = None
    for source in rules.sources:
        if number is None:
            entry = TrailEntry(source, Verdict.NOT_CONSULTED, "the caller's number is unknown")
        elif winner is not None:
            entry = TrailEntry(source, Verdict.NOT_CONSULTED, f"{winner.source} answered first")
        elif source not in given:
            entry = TrailEntry(source, Verdict.NOT_CONSULTED, "not asked")
        else:
            entry = judge(given[source], rules)
        if entry.verdict is Verdict.CHOSEN:
            winner = entry
            blocked = presence.unavailable(entry.extension or "")
            if blocked:
                entry = TrailEntry(source, Verdict.SKIPPED, blocked, entry.extension)
        trail.append(entry)
    return _decision(caller, number, winner, tuple(trail), rules)


def failed(caller: str, rules: IcmRules, why: str) -> IcmDecision:
    """A lookup that broke before it decided (a defect, a store error): nothing was
    found, and the call goes on all the same."""
    trail = tuple(TrailEntry(s, Verdict.FAILED, why) for s in rules.sources)
    return _decision(caller, None, None, trail, rules)


def _decision(
    caller: str,
    number: str | None,
    winner: TrailEntry | None,
    trail: tuple[TrailEntry, ...],
    rules: IcmRules,
) -> IcmDecision:
    if winner is None:
        action: Action = "default" if rules.default else "next"
        return IcmDecision(caller, number, action, target=rules.default, trail=trail)
    free = any(e.verdict is Verdict.CHOSEN for e in trail)
    return IcmDecision(
        caller,
        number,
        "ring" if free else "next",
        extension=winner.extension,
        source=winner.source,
        trail=trail,
    )
