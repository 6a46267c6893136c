"""ICM in the engine: asks the sources about the caller, rings the manager found, and
hands the call back to its scenario when that manager cannot or does not take it.

The decision itself is ``firmware.routing.icm``'s; this module gathers what it
needs (the caller's number, each source's answer, who is online, busy or on
do-not-disturb), records the decision on the call, and turns it into a state.
The box's history is asked on the engine thread; the CRMs, when the walk
reaches them, in a worker while the call waits in ``LookingUp`` for at most
``icm.timeout``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from firmware import icm_lookup
from firmware.config.inbound import Step
from firmware.engine.call import Call, RingPlan
from firmware.engine.features.icm.states import LookingUp
from firmware.engine.leg import Leg
from firmware.engine.states import Dialing, State
from firmware.routing import icm
from firmware.routing.outcome import Disposition, Refusal
from firmware.store import icm as decisions
from firmware.store.cdr import CallEnd

if TYPE_CHECKING:
    from firmware.engine.features.inbound.service import Inbound
    from firmware.engine.features.scenarios.service import ScenarioRun

log = logging.getLogger(__name__)


class ContactManager:
    def __init__(self, inbound: Inbound, lookup: Callable[[], icm_lookup.IcmLookup]) -> None:
        self._inbound = inbound
        self._lookup = lookup
        self._workers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="icm")

    def close(self) -> None:
        self._workers.shutdown(wait=False, cancel_futures=True)

    def step(self, call: Call, step: Step | None, run: ScenarioRun) -> State:
        """An icm step (``step``) or a menu key or target naming icm (None)."""
        s = self._inbound
        rules = icm.IcmRules.of(s.config)
        number = rules.customer_number(call.caller)

        def then(answers: list[icm.SourceAnswer]) -> State:
            return self._decided(
                call, step=step, run=run, rules=rules, number=number, answers=answers
            )

        if number is None:
            return then([])
        known: dict[str, icm.SourceAnswer] = {}
        if "history" in rules.sources:
            known["history"] = icm_lookup.history(rules, number, store=s.store, now=s.now())
        lookup = self._lookup()
        pending = icm_lookup.Pending(rules, number, known)
        if not icm_lookup.needs_crm(rules, known):
            return then(pending.answers(lookup.timeout))
        return LookingUp(pending, lookup, self._workers, then)

    def _decided(
        self,
        call: Call,
        *,
        step: Step | None,
        run: ScenarioRun,
        rules: icm.IcmRules,
        number: str | None,
        answers: list[icm.SourceAnswer],
    ) -> State:
        s = self._inbound
        decision = icm.decide(call.caller, number, answers, rules, s.presence())
        ident = decisions.record(
            s.store, decision, call_record=call.record, pass_id=run.pass_id, at=s.now()
        )
        log.info(
            "call %s: icm %s%s (%s)",
            call.record,
            decision.action,
            f" {decision.extension} from {decision.source}" if decision.extension else "",
            "; ".join(f"{e.source} {e.verdict}: {e.why}" for e in decision.trail),
        )
        if decision.action == "default" and decision.target:
            return run.goto(decision.target)
        if decision.action != "ring" or decision.extension is None:
            return run.step_failed(call, NOBODY_FOUND)
        plan = self._plan(decision.extension, call, step)
        call.on_answer.append(lambda leg: self._answered(ident, leg))
        call.on_finish.append(lambda end: self._finished(ident, end))

        def unanswered(call: Call, refusal: Refusal) -> State:
            busy = refusal.disposition is Disposition.BUSY
            decisions.close(s.store, ident, "busy" if busy else "no_answer")
            return run.step_failed(call, refusal)

        return Dialing(plan, unanswered)

    def _plan(self, extension: str, call: Call, step: Step | None) -> RingPlan:
        """The manager's phone for the ring time, and their mobile too when ICM says so."""
        s = self._inbound
        config = s.config
        assert config.icm is not None
        timeout = icm.ring_timeout(config, step)
        plan = s.extension_plan(extension, call, mobile=config.icm.ring_mobile)
        return RingPlan(plan.actions, max(plan.length, timeout) if not plan.is_single else timeout)

    def _answered(self, ident: int, leg: Leg) -> None:
        decisions.close(self._inbound.store, ident, "answered")

    def _finished(self, ident: int, end: CallEnd) -> None:
        decisions.close(self._inbound.store, ident, "left")


NOBODY_FOUND = Refusal(480, "Temporarily Unavailable", None, Disposition.NO_ANSWER, "icm: nobody")
