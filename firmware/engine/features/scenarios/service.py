"""Inbound calls walking a scenario: greeting, menu, dial, queue, voicemail, forward, run, hangup.

A ``ScenarioRun`` keeps where a call stands in its scenario and turns each step
into a call state; a step that ends without the call being answered hands the
call to the next step, so no caller is dropped while the scenario has steps.
Every pass and step goes to the analytics tables as it happens.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from firmware.config import Config
from firmware.config.inbound import Step
from firmware.config.target import HANGUP, Kind, Target
from firmware.engine.call import Call, Destination, RingPlan
from firmware.engine.features.scenarios.states import Greeting, Hangup, MenuStep
from firmware.engine.leg import Leg
from firmware.engine.states import Dialing, State
from firmware.routing.outcome import Disposition, Party, Refusal
from firmware.routing.scenarios import (
    MAX_RUN_DEPTH,
    greeting_prompt,
    next_step,
)
from firmware.store import analytics
from firmware.store.cdr import CallEnd

log = logging.getLogger(__name__)


class Services(Protocol):
    """What a scenario needs from the engine, which knows who is free and which lines are up."""

    @property
    def config(self) -> Config: ...

    @property
    def store(self) -> sqlite3.Connection: ...

    def now(self) -> datetime: ...

    def extension_plan(self, number: str, call: Call) -> RingPlan: ...

    def department_plan(self, number: str, call: Call) -> RingPlan | None: ...

    def forward(
        self, call: Call, number: str, ring_timeout: float | None
    ) -> Destination | Refusal: ...

    def queue(self, call: Call, department: str, run: ScenarioRun) -> State: ...

    def voicemail(self, call: Call, mailbox: str, then: Callable[[], State]) -> State: ...

    def icm(self, call: Call, step: Step | None, run: ScenarioRun) -> State: ...


class ScenarioRun:
    def __init__(
        self, services: Services, call: Call, *, scenario: str, mode: str | None, number: str
    ) -> None:
        self.services = services
        self.call = call
        self.scenario = scenario
        self.mode = mode
        self.number = number
        self.index = -1
        self.depth = 0
        self.step_id: int | None = None
        self.group: str | None = None
        self.answered_by: str | None = None
        self.answered_at: datetime | None = None
        self.outcome: analytics.PassOutcome = "no_talk"
        self.pass_id = analytics.open_pass(
            services.store,
            scenario=scenario,
            number=number,
            caller=call.caller,
            mode=mode,
            call_record=call.record,
        )
        call.on_answer.append(self._answered)
        call.on_finish.append(self._finished)

    # Walking the scenario.
    def next(self) -> State:
        self._close_step(None)
        found = next_step(self.services.config, self.scenario, self.index)
        if found is None:
            return Hangup("scenario ended with nobody reached", self)
        self.scenario, self.index, step = found
        self.step_id = analytics.step(
            self.services.store, self.pass_id, kind=step.kind, target=_target_of(step)
        )
        log.info(
            "call %s: scenario %s step %d %s",
            self.call.record,
            self.scenario,
            self.index,
            step.kind,
        )
        return self._state_for(step)

    def _state_for(self, step: Step) -> State:
        s = self.services
        call = self.call
        if step.kind == "greeting":
            return Greeting(greeting_prompt(step, s.now().time()), self)
        if step.kind == "menu":
            menu = s.config.menu(step.menu or "")
            assert menu is not None
            return MenuStep(menu, self)
        if step.kind == "dial":
            return self.goto(step.target or HANGUP, ring_timeout=step.ring_timeout)
        if step.kind == "queue":
            return s.queue(call, step.department or "", self)
        if step.kind == "icm":
            return s.icm(call, step, self)
        if step.kind == "voicemail":
            self.outcome = "voicemail"
            return s.voicemail(call, step.mailbox or "", self.next)
        if step.kind == "forward":
            found = s.forward(call, step.number or "", step.ring_timeout)
            if isinstance(found, Refusal):
                log.warning("call %s: forward refused: %s", call.record, found.why)
                return self.next()
            self.outcome = "forwarded"
            return Dialing(RingPlan.single(found), self.step_failed)
        if step.kind == "run":
            return self.switch(step.scenario or "")
        return Hangup("hangup step", self)

    def switch(self, scenario: str) -> State:
        """Hands the call to another scenario (a `run` step or a menu's scenario: target)."""
        self.depth += 1
        if self.depth > MAX_RUN_DEPTH:
            log.error("call %s: scenarios run each other too deep; hanging up", self.call.record)
            return Hangup("scenario loop", self)
        self._close_step("completed")
        analytics.close_pass(
            self.services.store, self.pass_id, outcome="transferred", termination=None
        )
        self.scenario, self.index = scenario, -1
        self.pass_id = analytics.open_pass(
            self.services.store,
            scenario=scenario,
            number=self.number,
            caller=self.call.caller,
            mode=self.mode,
            call_record=self.call.record,
        )
        return self.next()

    def goto(self, target: Target, *, ring_timeout: float | None = None) -> State:
        """Where a menu key or a dial step sends the call; unanswered, the scenario goes on."""
        kind, value = target.kind, target.value
        s = self.services
        if kind is Kind.EXTENSION:
            plan = s.extension_plan(value, self.call)
        elif kind is Kind.DEPARTMENT:
            self.group = value
            found = s.department_plan(value, self.call)
            if found is None:
                return self._nobody_free(value)
            plan = found
        elif kind is Kind.MENU:
            menu = s.config.menu(value)
            assert menu is not None
            return MenuStep(menu, self)
        elif kind is Kind.VOICEMAIL:
            self.outcome = "voicemail"
            return s.voicemail(self.call, value, self.next)
        elif kind is Kind.SCENARIO:
            return self.switch(value)
        elif kind is Kind.ICM:
            return s.icm(self.call, None, self)
        else:
            return Hangup("hangup chosen", self)
        if ring_timeout is not None:
            plan = RingPlan(plan.actions, ring_timeout)
        return Dialing(plan, self.step_failed)

    def overflow(self, target: Target | None) -> State:
        """A queue that is full or waited on too long sends the caller on."""
        self._close_step("full")
        return self.goto(target) if target else self.next()

    def _nobody_free(self, department: str) -> State:
        """A department with nobody free: its queue, or the next step."""
        found = self.services.config.department(department)
        if found is not None and found.queue.enabled:
            return self.services.queue(self.call, department, self)
        return self.step_failed(self.call, _NOBODY_FREE)

    def step_failed(self, call: Call, refusal: Refusal) -> State:
        self._close_step("busy" if refusal.disposition is Disposition.BUSY else "no_answer")
        return self.next()

    def chose(self, key: str | None, *, invalid: bool = False) -> None:
        """How the caller left a menu: a key or a dialed number, no choice, or wrong ones."""
        self._close_step(f"chose:{key}" if key else "invalid" if invalid else "timeout")

    # Analytics.
    def _close_step(self, outcome: str | None) -> None:
        if self.step_id is not None:
            analytics.close_step(self.services.store, self.step_id, outcome or "completed")
            self.step_id = None

    def _answered(self, leg: Leg) -> None:
        if self.outcome not in ("forwarded",):
            self.outcome = "answered"
        self.answered_at = self.services.now()
        self.answered_by = leg.remote_user()
        self._close_step("answered")

    def _finished(self, end: CallEnd) -> None:
        talk = 0.0
        if self.answered_at is not None:
            talk = (self.services.now() - self.answered_at).total_seconds()
        outcome = self.outcome
        if outcome == "no_talk" and end.hangup_by is Party.CALLER:
            outcome = "abandoned"
        analytics.close_pass(
            self.services.store,
            self.pass_id,
            outcome=outcome,
            termination=end.hangup_by.value,
            answered_by=self.answered_by,
            talk_seconds=talk,
            group_name=self.group,
        )


_NOBODY_FREE = Refusal(480, "No Answer", None, Disposition.NO_ANSWER, "no member free")


def _target_of(step: Step) -> str | None:
    """What the analytics name as where a step went."""
    if step.target is not None:
        return str(step.target)
    return step.menu or step.department or step.mailbox or step.number or step.scenario
