"""The inbound feature's service: what a scenario asks of the box (who is free, how to
ring them, a line for a forward) and the steps with machinery of their own.

It is given what it reads (the calls up, who is registered, the outside lines
through ``Outside``) rather than the engine, so scenarios, queues and ICM ask
their questions of one narrow object.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pjsua2 as pj

from firmware.config import Config
from firmware.config.inbound import Department, Step
from firmware.config.load import number_plan
from firmware.config.target import Target
from firmware.engine.call import Call, Destination, RingAction, RingPlan
from firmware.engine.features.camp_on.states import CallingBack
from firmware.engine.features.icm.service import ContactManager
from firmware.engine.features.outbound.service import Abandon, BoxCall, Outside
from firmware.engine.features.queues.service import Queues
from firmware.engine.features.transfer.service import HandOn
from firmware.engine.features.voicemail.service import Voicemail
from firmware.engine.leg import Leg
from firmware.engine.states import Dialing, OnFail, State
from firmware.routing import departments
from firmware.routing.icm import Presence
from firmware.routing.numbers import NumberClass, NumberError, as_written, read_number
from firmware.routing.outbound import CallOut, permitted_trunks
from firmware.routing.outcome import Disposition, Refusal
from firmware.routing.queue import wrapping_members

if TYPE_CHECKING:
    from firmware.engine.features.scenarios.service import ScenarioRun
    from firmware.icm_lookup import IcmLookup

log = logging.getLogger(__name__)


def wall_clock() -> datetime:
    return datetime.now().astimezone()


class Inbound:
    def __init__(
        self,
        *,
        config: Callable[[], Config],
        store: sqlite3.Connection,
        calls: Callable[[], Iterable[Call]],
        online: Callable[[], set[str]],
        extension: Callable[[str, str], Destination],
        outside: Outside,
        queues: Queues,
        voicemail: Voicemail,
        icm_lookup: Callable[[], IcmLookup],
        box_call: BoxCall,
        abandon: Abandon,
        clock: Callable[[], datetime] = wall_clock,
    ) -> None:
        """``online``: the extensions registered now; ``extension``: an extension's phone,
        rung showing a caller; ``clock``: the time now (the office's time zone is applied
        here), which tests fix."""
        self._config = config
        self.store = store
        self._calls = calls
        self._online = online
        self._extension = extension
        self._outside = outside
        self.queues = queues
        self.voicemail_service = voicemail
        self._box_call = box_call
        self._abandon = abandon
        self._clock = clock
        self.contact_manager = ContactManager(self, icm_lookup)

    @property
    def config(self) -> Config:
        return self._config()

    def now(self) -> datetime:
        """The office's time: modes, greetings by time of day and reports read it."""
        return self._clock().astimezone(ZoneInfo(self.config.system.timezone))

    # Who can be rung.
    def busy(self) -> set[str]:
        """Extensions on a call now: callers, callees ringing or talking."""
        found: set[str] = set()
        for call in self._calls():
            found.add(call.caller)
            found.update(call.candidates)
            if call.b_key:
                found.add(call.b_key)
        return found

    def available(self, department_number: str, *, for_queue: bool = False) -> list[str]:
        """Members free to ring; a queue also lets them finish the wrap-up of their last call."""
        department = self.config.department(department_number)
        if department is None:
            return []
        dnd = {e.number for e in self.config.extensions if e.dnd}
        wrapping = (
            wrapping_members(
                department.members,
                self.queues.last_call_end,
                department.queue.wrap_up,
                self.queues.now(),
            )
            if for_queue
            else set()
        )
        return departments.members_free(department, self.busy(), dnd, wrapping, self._online())

    def member_free(self, department_number: str, member: str) -> bool:
        return member in self.available(department_number, for_queue=True)

    def presence(self) -> Presence:
        """Who can be rung now: registered, and not busy or on do-not-disturb."""
        return Presence(
            registered=frozenset(self._online()),
            busy=frozenset(self.busy()),
            dnd=frozenset(e.number for e in self.config.extensions if e.dnd),
        )

    # Ring plans.
    def extension_plan(self, number: str, call: Call, *, mobile: bool = True) -> RingPlan:
        """An extension, and its mobile after ``forward_after`` seconds when it has one
        (unless ``mobile`` is False)."""
        destination = self._extension(number, call.caller)
        extension = self.config.extension(number)
        if extension is None or not (mobile and extension.forward_after and extension.mobile):
            return RingPlan.single(destination)
        forward = self.forward(call, extension.mobile, None, key="mobile")
        if isinstance(forward, Refusal):
            log.warning("%s's mobile cannot be rung: %s", number, forward.why)
            return RingPlan.single(destination)
        actions = (
            RingAction(0.0, (destination,)),
            RingAction(extension.forward_after, (forward,)),
        )
        return RingPlan(actions, destination.ring_timeout + extension.forward_after)

    def department_plan(self, number: str, call: Call) -> RingPlan | None:
        department = self.config.department(number)
        if department is None:
            return None
        free = self.available(number)
        if not free:
            return None
        steps = departments.ring_plan(department, free)
        actions = tuple(
            RingAction(
                step.at,
                tuple(self._extension(m, call.caller) for m in step.start),
                step.stop,
            )
            for step in steps
        )
        return RingPlan(actions, departments.plan_length(department, free))

    def forward(
        self, call: Call, number: str, ring_timeout: float | None, *, key: str = ""
    ) -> Destination | Refusal:
        """A number outside, on a line the box's default rules permit; the line is seized."""
        try:
            read = read_number(number, number_plan(self.config))
        except NumberError as exc:
            return Refusal(484, "Address Incomplete", None, Disposition.FAILED, str(exc))
        rules = self.config.outbound
        if (
            read.number_class is not NumberClass.EMERGENCY
            and read.number_class.value not in rules.allow
        ):
            return Refusal(403, "Forbidden", None, Disposition.FAILED, "class not allowed")
        found = self._outside.line_to(call, permitted_trunks(self.config, rules), read.normal)
        if isinstance(found, Refusal):
            return found
        destination = replace(found, key=key or read.normal)
        if ring_timeout is not None:
            destination = replace(destination, ring_timeout=ring_timeout)
        return destination

    def hand_on(
        self, call: Call, where: Target | CallOut, not_reached: OnFail
    ) -> Callable[[], State] | Refusal:
        """What rings a call a transfer hands to a department, ICM or a number outside."""
        if isinstance(where, CallOut):
            found = self._outside.line_to(
                call, where.trunks, where.number.normal, shown=call.caller
            )
            if isinstance(found, Refusal):
                return found
            return lambda: Dialing(RingPlan.single(found), not_reached)
        return lambda: HandOn(self, call, target=where, not_reached=not_reached).next()

    def shown(self, party: Leg) -> str:
        """A party's number as a caller's is written (E.164 when it reads as one)."""
        return as_written(party.remote_user(), number_plan(self.config))

    # Steps with their own machinery.
    def queue(self, call: Call, department: str, run: ScenarioRun) -> State:
        found = self.config.department(department)
        if found is None:
            return run.next()
        if not found.queue.enabled:
            plan = self.department_plan(department, call)
            return Dialing(plan, run.step_failed) if plan else run.next()
        run.group = department
        return self.queues.join(call, found, run)

    def voicemail(self, call: Call, mailbox: str, then: Callable[[], State]) -> State:
        return self.voicemail_service.leave(call, mailbox, then)

    def icm(self, call: Call, step: Step | None, run: ScenarioRun) -> State:
        return self.contact_manager.step(call, step, run)

    def call_back(self, department: Department, member: str, ident: int, number: str) -> bool:
        """Rings ``member`` and, once answered, calls back the customer who asked for it."""
        a_leg, call = self._box_call(member, number, destination=number)
        customer = self.forward(call, number, None)
        if isinstance(customer, Refusal):
            log.warning("callback to %s waits: %s", number, customer.why)
            self._abandon(call, customer.why)
            return False
        domain = self.config.system.sip_domain
        try:
            a_leg.dial(
                f"sip:{member}@{domain}",
                from_uri=f"<sip:{number.lstrip('+')}@{domain}>",
                headers={"Alert-Info": self.config.line_queue.alert_info},
            )
        except pj.Error as exc:
            log.error("callback to %s: cannot ring %s: %s", number, member, exc.info())
            self._abandon(call, "no channel")
            return False
        call.on_finish.append(
            lambda end: self.queues.callback_done(
                ident, member, "answered" if end.disposition is Disposition.ANSWERED else "no"
            )
        )
        call.start(
            CallingBack(
                ring_timeout=department.step,
                warning=self.config.line_queue.warning_tone,
                then=customer,
            )
        )
        return True
