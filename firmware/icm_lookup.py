"""Asking ICM's sources about a caller, for the engine and for ``minipbx explain``.

Both walk the sources the same way, so what ``explain`` shows is what a call
would get. The box's own history is a query on the call records, made where
the store lives; the CRMs are HTTP requests that may take up to ``icm.timeout``
for all of them together, so the engine makes them in a worker thread and
decides with what has come when the time is up: a slow CRM is skipped, never
waited for.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx

from firmware.config.icm import CRM_SOURCES, Icm
from firmware.crm.source import CrmSource, build
from firmware.routing.icm import IcmRules, SourceAnswer, names_manager
from firmware.store.cdr import CallRecords

log = logging.getLogger(__name__)

#: Asks one source about the caller's number.
Ask = Callable[[str], SourceAnswer]


def history(
    rules: IcmRules, number: str, *, store: sqlite3.Connection, now: datetime
) -> SourceAnswer:
    """The extension that last talked with ``number`` within the history window."""
    found = CallRecords(store).last_talked(f"+{number}", rules.history_since(now))
    detail = f"last talked with them within {rules.history_days} days" if found else ""
    return SourceAnswer("history", found, detail=detail)


def walk(rules: IcmRules, known: dict[str, SourceAnswer], ask: Ask) -> list[SourceAnswer]:
    """Each source's answer in ``rules.sources`` order, up to the first that names a
    manager; ``known`` answers are taken as given, the others are asked."""
    answers = []
    for source in rules.sources:
        answer = known.get(source) or ask(source)
        answers.append(answer)
        if names_manager(answer, rules):
            break
    return answers


def needs_crm(rules: IcmRules, known: dict[str, SourceAnswer]) -> bool:
    """True when the walk reaches a CRM before a known answer names a manager."""
    for source in rules.sources:
        if source not in known:
            return True
        if names_manager(known[source], rules):
            return False
    return False


class Pending:
    """One call's CRM lookup under way in a worker thread.

    The engine reads what has come so far when the time is up; the worker asks
    no further source once the engine has stopped waiting.
    """

    def __init__(self, rules: IcmRules, number: str, known: dict[str, SourceAnswer]) -> None:
        self.rules = rules
        self.number = number
        self._known = dict(known)
        self._lock = threading.Lock()
        self._asking: str | None = None
        self.abandoned = threading.Event()

    def record(self, answer: SourceAnswer) -> None:
        with self._lock:
            self._known[answer.source] = answer

    def asking(self, source: str | None) -> None:
        with self._lock:
            self._asking = source

    def known(self) -> dict[str, SourceAnswer]:
        with self._lock:
            return dict(self._known)

    def answers(self, timeout: float) -> list[SourceAnswer]:
        """The walk with what has come: a source still being asked, and every CRM after
        it, failed on time; the box's history after them still counts."""
        self.abandoned.set()
        known = self.known()
        with self._lock:
            late = self._asking
        why = f"no answer within {timeout:g} s"

        def out_of_time(source: str) -> SourceAnswer:
            detail = why if source == late else f"no time left after {why}"
            return SourceAnswer(source, error="timeout", detail=detail)

        return walk(self.rules, known, out_of_time)


class IcmLookup:
    """ICM's CRM sources for one ``[icm]`` section, with their caches, tokens and health.

    Built once per config (a reload that leaves ``[icm]`` alone keeps it, and
    with it the caches and the figures ``minipbx status`` shows). A CRM whose
    secret cannot be read is kept as a failing source that says why.
    """

    def __init__(
        self,
        icm: Icm | None,
        *,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.icm = icm
        self._clock = clock
        self.crms: dict[str, CrmSource] = {}
        self.broken: dict[str, str] = {}
        for name in CRM_SOURCES:
            section = icm.crm(name) if icm else None
            if section is None:
                continue
            try:
                self.crms[name] = build(name, section, transport=transport, clock=clock)
            except (OSError, ValueError) as exc:
                log.error("icm: %s cannot be used: %s", name, exc)
                self.broken[name] = str(exc)

    def ask_crm(self, source: str, number: str, timeout: float) -> SourceAnswer:
        crm = self.crms.get(source)
        if crm is None:
            why = self.broken.get(source, "not configured")
            return SourceAnswer(source, error="unusable", detail=why)
        return crm.ask(number, timeout=timeout)

    def ask(
        self,
        rules: IcmRules,
        caller: str,
        *,
        store: sqlite3.Connection,
        now: datetime,
        offline: bool = False,
    ) -> tuple[str | None, list[SourceAnswer]]:
        """The whole walk in this thread, for ``explain``: the caller as a customer's
        number (E.164 digits) and what each source said. ``offline`` asks no CRM."""
        number = rules.customer_number(caller)
        if number is None:
            return None, []
        known = {"history": history(rules, number, store=store, now=now)}
        if offline:
            return number, walk(rules, known, _not_asked_offline)
        pending = Pending(rules, number, known)
        self.run(pending)
        return number, pending.answers(self.timeout)

    @property
    def timeout(self) -> float:
        return self.icm.timeout if self.icm else 0.0

    def run(self, pending: Pending, done: Callable[[], None] | None = None) -> None:
        """Asks the CRMs ``pending`` still needs, in order, within ``icm.timeout`` in all;
        ``done`` runs when the walk is over (in this thread)."""
        started = self._clock()

        def ask(source: str) -> SourceAnswer:
            left = self.timeout - (self._clock() - started)
            if pending.abandoned.is_set() or left <= 0:
                return SourceAnswer(source, error="timeout", detail="no time left")
            pending.asking(source)
            answer = self.ask_crm(source, pending.number, left)
            pending.record(answer)
            pending.asking(None)
            return answer

        try:
            walk(pending.rules, pending.known(), ask)
        finally:
            if done is not None:
                done()

    def status(self) -> dict[str, Any]:
        """Each configured CRM's health for ``minipbx status``: active or only kept, how
        long ago it last answered and failed, and how fast."""
        active = set(self.icm.sources) if self.icm else set()
        now = self._clock()
        found: dict[str, Any] = {}
        for name, crm in self.crms.items():
            figures = crm.status()
            found[name] = {
                "active": name in active,
                "last_success_ago_s": _ago(now, figures.last_success_at),
                "last_error_ago_s": _ago(now, figures.last_error_at),
                "last_error": figures.last_error,
                "latency_ms": figures.last_latency_ms,
                "lookups": figures.lookups,
                "failures": figures.failures,
            }
        for name, why in self.broken.items():
            found[name] = {"active": name in active, "last_error": why}
        return found

    def close(self) -> None:
        for crm in self.crms.values():
            crm.close()


def _ago(now: float, at: float | None) -> float | None:
    return None if at is None else round(now - at, 1)


def _not_asked_offline(source: str) -> SourceAnswer:
    return SourceAnswer(source, consulted=False, detail="not asked (--offline)")
