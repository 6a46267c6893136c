"""Calls to the outside: class-of-service limits, the line to use, and camp-on for a busy line.

The engine hands over a call routing decided should go out (``CallOut``);
this picks a line among the permitted ones, or offers the line queue when all
are busy, and rings the queued extension back when a line frees.
"""

from __future__ import annotations

import itertools
import logging
import time
from datetime import timedelta
from typing import TYPE_CHECKING

from firmware.config.load import number_plan
from firmware.engine.call import IGNORE, Call, Destination, RingPlan
from firmware.engine.features.camp_on.states import LINES_BUSY, CallingBack, OfferingLine
from firmware.engine.leg import Leg
from firmware.engine.states import Dialing, Refusing, State
from firmware.routing.lines import LineQueue, LineRequest, NoLine, choose_trunk
from firmware.routing.numbers import read_number
from firmware.routing.outbound import CallOut, caller_id, limit_refusal, number_for_trunk
from firmware.routing.outcome import Disposition, Refusal
from firmware.routing.toneplans import Tone
from firmware.store.cdr import now

if TYPE_CHECKING:
    from firmware.engine.engine import Engine

log = logging.getLogger(__name__)

NO_LINE = Refusal(
    503, "No Line Available", Tone.CONGESTION, Disposition.FAILED, "no permitted line is up"
)


class Outside:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._turns = itertools.count()
        self.line_queue = LineQueue()

    def place(self, call: Call, out: CallOut) -> State:
        extension = self._engine.config.extension(call.caller)
        if not out.emergency and extension is not None:
            rules = self._engine.config.outbound_for(extension)
            active = sum(1 for c in self._engine.caps.placed_by(call.caller) if c.trunks)
            hour = self._engine.records.outbound_since(call.caller, now() - timedelta(hours=1))
            refusal = limit_refusal(rules, active=active, last_hour=hour)
            if refusal is not None:
                log.warning("call %s refused: %s", call.record, refusal.why)
                return Refusing(refusal)
        chosen = choose_trunk(out.trunks, self._engine.lines.states(), next(self._turns))
        if chosen is NoLine.ALL_DOWN:
            return Refusing(NO_LINE)
        if chosen is NoLine.ALL_BUSY:
            queue = self._engine.config.line_queue
            if queue.enabled and not out.emergency:
                return OfferingLine(
                    key=queue.key if queue.offer == "key" else None,
                    wait=queue.offer_timeout,
                    queue=lambda c: self._queue_for_line(c, out),
                )
            return Refusing(LINES_BUSY)
        self.seize(call, chosen)
        return Dialing(
            RingPlan.single(self.line_destination(chosen, out.number.normal, call.caller))
        )

    def line_destination(self, trunk: str, number: str, caller: str) -> Destination:
        line = self._engine.config.trunk(trunk)
        assert line is not None
        plan = number_plan(self._engine.config)
        digits = number_for_trunk(read_number(number, plan), line.number_format, plan.region)
        uri, headers = self._engine.lines.call_uri(trunk, digits)
        shown = caller_id(self._engine.config, caller, trunk) or caller
        return Destination(
            uri=uri,
            from_uri=f"<sip:{shown.lstrip('+')}@{self._engine.lines.line_host(trunk)}>",
            ring_timeout=self._engine.config.calls.ring_timeout,
            account=self._engine.lines.account_for(trunk),
            headers=headers,
            trunk=trunk,
        )

    def seize(self, call: Call, trunk: str) -> None:
        self._engine.lines.seize(trunk)
        call.trunks.append(trunk)
        self._engine.records.note(call.record, trunk=trunk)

    def _queue_for_line(self, call: Call, out: CallOut) -> None:
        started = time.monotonic()
        request = self.line_queue.add(
            LineRequest(
                extension=call.caller,
                number=out.number.normal,
                trunks=out.trunks,
                queued_at=started,
                expires_at=started + self._engine.config.line_queue.expiry,
                record=call.record,
            )
        )
        log.info("call %s: %s queued for a line to %s", call.record, call.caller, request.number)

    def line_changed(self, trunk: str) -> None:
        """A line freed a channel or came up: ring back whoever waits for it."""
        line = self._engine.lines.lines.get(trunk)
        if line is None or not line.state().free:
            return
        request = self.line_queue.take_for(trunk, time.monotonic())
        if request is not None:
            self._call_back(request, trunk)

    def _call_back(self, request: LineRequest, trunk: str) -> None:
        assert self._engine.sip.account is not None
        domain = self._engine.config.system.sip_domain
        a_leg = Leg(self._engine.sip.account, role="a", listener=IGNORE)
        call = self._engine.new_call(
            a_leg,
            caller=request.extension,
            dialed=request.number,
            direction="outbound",
            queued_from=request.record,
            destination=request.number,
        )
        self.seize(call, trunk)
        queue = self._engine.config.line_queue
        a_leg.dial(
            f"sip:{request.extension}@{domain}",
            from_uri=f"<sip:{request.number.lstrip('+')}@{domain}>",
            headers={"Alert-Info": queue.alert_info},
        )
        call.start(
            CallingBack(
                ring_timeout=self._engine.config.calls.ring_timeout,
                warning=queue.warning_tone,
                then=self.line_destination(trunk, request.number, request.extension),
            )
        )
