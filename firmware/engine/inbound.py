"""What inbound scenarios ask of the engine: who is free, how to ring them, lines for forwards.

The engine owns calls, lines and the store; this class answers a scenario's
questions from them, so the scenario and queue code needs no Engine import.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pjsua2 as pj

from firmware.config import Config
from firmware.config.inbound import Department, Step
from firmware.config.load import number_plan
from firmware.config.target import Target
from firmware.engine.call import IGNORE, Call, Destination, RingAction, RingPlan
from firmware.engine.features.camp_on.states import CallingBack
from firmware.engine.features.icm.service import ContactManager
from firmware.engine.features.queues.service import Queues
from firmware.engine.features.transfer.service import HandOn
from firmware.engine.features.voicemail.service import Voicemail
from firmware.engine.leg import Leg
from firmware.engine.states import Dialing, OnFail, State
from firmware.routing import departments
from firmware.routing.icm import Presence
from firmware.routing.lines import NoLine, choose_trunk
from firmware.routing.numbers import NumberClass, NumberError, as_written, read_number
from firmware.routing.outbound import CallOut, permitted_trunks
from firmware.routing.outcome import Disposition, Party, Refusal
from firmware.routing.queue import wrapping_members
from firmware.routing.toneplans import Tone
from firmware.sipedge.subscribers import registered
from firmware.store.cdr import CallEnd

if TYPE_CHECKING:
    from firmware.engine.engine import Engine
    from firmware.engine.features.scenarios.service import ScenarioRun

log = logging.getLogger(__name__)

NO_FORWARD = Refusal(503, "No Line", Tone.CONGESTION, Disposition.FAILED, "no line to forward on")


class Inbound:
    def __init__(self, engine: Engine, *, queues: Queues, voicemail: Voicemail) -> None:
        self._engine = engine
        self.queues = queues
        self.voicemail_service = voicemail
        self.contact_manager = ContactManager(self, lambda: engine.icm_lookup)

    @property
    def config(self) -> Config:
        return self._engine.config

    @property
    def store(self) -> sqlite3.Connection:
        return self._engine.store

    def now(self) -> datetime:
        return datetime.now(ZoneInfo(self.config.system.timezone))

    # Who can be rung.
    def busy(self) -> set[str]:
        """Extensions on a call now: callers, callees ringing or talking."""
        found: set[str] = set()
        for call in self._engine.calls:
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
                time.monotonic(),
            )
            if for_queue
            else set()
        )
        online = registered(self._engine.home.sipedge_db)
        return departments.members_free(department, self.busy(), dnd, wrapping, online)

    def member_free(self, department_number: str, member: str) -> bool:
        return member in self.available(department_number, for_queue=True)

    def presence(self) -> Presence:
        """Who can be rung now: registered, and not busy or on do-not-disturb."""
        return Presence(
            registered=frozenset(registered(self._engine.home.sipedge_db)),
            busy=frozenset(self.busy()),
            dnd=frozenset(e.number for e in self.config.extensions if e.dnd),
        )

    # Ring plans.
    def extension_plan(self, number: str, call: Call, *, mobile: bool = True) -> RingPlan:
        """An extension, and its mobile after ``forward_after`` seconds when it has one
        (unless ``mobile`` is False)."""
        destination = self._engine.extension_destination(number, call.caller)
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
                tuple(self._engine.extension_destination(m, call.caller) for m in step.start),
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
        found = self.line_to(call, permitted_trunks(self.config, rules), read.normal)
        if isinstance(found, Refusal):
            return found
        destination = replace(found, key=key or read.normal)
        if ring_timeout is not None:
            destination = replace(destination, ring_timeout=ring_timeout)
        return destination

    def line_to(
        self, call: Call, trunks: tuple[str, ...], number: str, *, shown: str = ""
    ) -> Destination | Refusal:
        """``number`` (E.164) on the least busy of ``trunks``, seized for ``call``; the
        caller ID is ``shown``'s as the trunk allows it, else the trunk's own."""
        chosen = choose_trunk(trunks, self._engine.lines.states(), 0)
        if isinstance(chosen, NoLine):
            return NO_FORWARD
        destination = self._engine.outside.line_destination(chosen, number, shown)
        self._engine.outside.seize(call, chosen)
        return destination

    def hand_on(
        self, call: Call, where: Target | CallOut, not_reached: OnFail
    ) -> Callable[[], State] | Refusal:
        """What rings a call a transfer hands to a department, ICM or a number outside."""
        if isinstance(where, CallOut):
            found = self.line_to(call, where.trunks, where.number.normal, shown=call.caller)
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
        assert self._engine.sip.account is not None
        a_leg = Leg(self._engine.sip.account, role="a", listener=IGNORE)
        call = self._engine.new_call(
            a_leg, caller=member, dialed=number, direction="outbound", destination=number
        )
        customer = self.forward(call, number, None)
        if isinstance(customer, Refusal):
            log.warning("callback to %s waits: %s", number, customer.why)
            call.finish(CallEnd(Disposition.FAILED, Party.SYSTEM, 503, customer.why))
            self._engine.finished(call)
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
            call.finish(CallEnd(Disposition.FAILED, Party.SYSTEM, 503, "no channel"))
            self._engine.finished(call)
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
