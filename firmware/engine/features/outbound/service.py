"""The outbound feature's service: class-of-service limits, the line to use, and camp-on
for a busy line.

The engine hands over a call routing decided should go out (``CallOut``);
this picks a line among the permitted ones, or offers the line queue when all
are busy, and rings the queued extension back when a line frees. Forwards,
transfers and parties added to a call take their line here too (``line_to``).
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any, Protocol

import pjsua2 as pj

from firmware.config import Config
from firmware.config.load import number_plan
from firmware.engine.call import Call, Destination, RingPlan
from firmware.engine.features.camp_on.states import LINES_BUSY, CallingBack, OfferingLine
from firmware.engine.features.lines.service import Lines
from firmware.engine.leg import Leg
from firmware.engine.states import Dialing, Refusing, State
from firmware.routing.lines import LineQueue, LineRequest, NoLine, choose_trunk
from firmware.routing.numbers import read_number
from firmware.routing.outbound import CallOut, caller_id, limit_refusal, number_for_trunk
from firmware.routing.outcome import Disposition, Refusal
from firmware.routing.toneplans import Tone
from firmware.store.cdr import CallRecords, now

log = logging.getLogger(__name__)

NO_LINE = Refusal(
    503, "No Line Available", Tone.CONGESTION, Disposition.FAILED, "no permitted line is up"
)
NO_FREE_LINE = Refusal(503, "No Line", Tone.CONGESTION, Disposition.FAILED, "no line to call on")


class BoxCall(Protocol):
    """A call the box places itself on an extension's behalf (a callback): its a_leg will
    ring the extension's phone first."""

    def __call__(self, extension: str, number: str, **details: Any) -> tuple[Leg, Call]: ...


#: Gives up a call the box placed before its first leg was rung, saying why.
Abandon = Callable[[Call, str], None]


class Outside:
    def __init__(
        self,
        *,
        config: Callable[[], Config],
        lines: Lines,
        records: CallRecords,
        placed_by: Callable[[str], Iterable[Call]],
        box_call: BoxCall,
        abandon: Abandon,
    ) -> None:
        """``placed_by``: the calls an extension has placed and are up."""
        self._config = config
        self._lines = lines
        self._records = records
        self._placed_by = placed_by
        self._box_call = box_call
        self._abandon = abandon
        self._turns = itertools.count()
        self.line_queue = LineQueue()

    def place(self, call: Call, out: CallOut) -> State:
        config = self._config()
        extension = config.extension(call.caller)
        if not out.emergency and extension is not None:
            rules = config.outbound_for(extension)
            active = sum(1 for c in self._placed_by(call.caller) if c.trunks)
            hour = self._records.outbound_since(call.caller, now() - timedelta(hours=1))
            refusal = limit_refusal(rules, active=active, last_hour=hour)
            if refusal is not None:
                log.warning("call %s refused: %s", call.record, refusal.why)
                return Refusing(refusal)
        chosen = choose_trunk(out.trunks, self._lines.states(), next(self._turns))
        if chosen is NoLine.ALL_DOWN:
            return Refusing(NO_LINE)
        if chosen is NoLine.ALL_BUSY:
            queue = config.line_queue
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

    def line_to(
        self, call: Call, trunks: tuple[str, ...], number: str, *, shown: str = ""
    ) -> Destination | Refusal:
        """``number`` (E.164) on the least busy of ``trunks``, seized for ``call``; the
        caller ID is ``shown``'s as the trunk allows it, else the trunk's own."""
        chosen = choose_trunk(trunks, self._lines.states(), 0)
        if isinstance(chosen, NoLine):
            return NO_FREE_LINE
        destination = self.line_destination(chosen, number, shown)
        self.seize(call, chosen)
        return destination

    def line_destination(self, trunk: str, number: str, caller: str) -> Destination:
        config = self._config()
        line = config.trunk(trunk)
        assert line is not None
        plan = number_plan(config)
        digits = number_for_trunk(read_number(number, plan), line.number_format, plan.region)
        uri, headers = self._lines.call_uri(trunk, digits)
        shown = caller_id(config, caller, trunk) or caller
        return Destination(
            uri=uri,
            from_uri=f"<sip:{shown.lstrip('+')}@{self._lines.line_host(trunk)}>",
            ring_timeout=config.calls.ring_timeout,
            account=self._lines.account_for(trunk),
            headers=headers,
            trunk=trunk,
        )

    def seize(self, call: Call, trunk: str) -> None:
        self._lines.seize(trunk)
        call.trunks.append(trunk)
        self._records.note(call.record, trunk=trunk)

    def _queue_for_line(self, call: Call, out: CallOut) -> None:
        started = time.monotonic()
        request = self.line_queue.add(
            LineRequest(
                extension=call.caller,
                number=out.number.normal,
                trunks=out.trunks,
                queued_at=started,
                expires_at=started + self._config().line_queue.expiry,
                record=call.record,
            )
        )
        log.info("call %s: %s queued for a line to %s", call.record, call.caller, request.number)

    def line_changed(self, trunk: str) -> None:
        """A line freed a channel or came up: ring back whoever waits for it."""
        line = self._lines.lines.get(trunk)
        if line is None or not line.state().free:
            return
        request = self.line_queue.take_for(trunk, time.monotonic())
        if request is not None:
            self._call_back(request, trunk)

    def _call_back(self, request: LineRequest, trunk: str) -> None:
        config = self._config()
        domain = config.system.sip_domain
        a_leg, call = self._box_call(
            request.extension,
            request.number,
            queued_from=request.record,
            destination=request.number,
        )
        self.seize(call, trunk)
        queue = config.line_queue
        try:
            a_leg.dial(
                f"sip:{request.extension}@{domain}",
                from_uri=f"<sip:{request.number.lstrip('+')}@{domain}>",
                headers={"Alert-Info": queue.alert_info},
            )
        except pj.Error as exc:
            log.error("line callback: cannot ring %s: %s", request.extension, exc.info())
            self._abandon(call, "no channel")
            return
        call.start(
            CallingBack(
                ring_timeout=config.calls.ring_timeout,
                warning=queue.warning_tone,
                then=self.line_destination(trunk, request.number, request.extension),
            )
        )
