"""The transfer feature's service: whether a REFER is taken, and the target's leg.

A phone's transfer key sends a REFER naming the target; pjsua answers it and
places the call to the target itself, on the leg given here, so the transferor
hears how it goes (NOTIFY). A phone without the key keys ``[dialing]
transfer`` and the number during the call; the box rings the target itself
then, showing who is handed on. Only the party who is talking (not ringing,
not already handing the call on) transfers; a target that is no number of the
box's (``routing.transfer``) is refused (403 to a REFER) and the call goes on.

A department, ICM's number or a number outside is more than one phone, or a
line: the box hands the call on itself (``HandingOn``), the transferee
becomes the calling party and is rung through as a caller of that number would
be (the department's strategy and queue, ICM's manager, the transferor's own
outbound rights); when nobody takes it, the transferor's phone rings back. To
a REFER naming one the box answers 403, since pjsua would place a call of its
own, and the transferor's call ends as the box takes over.

An attended transfer (the transferor talked with the target first, then
pressed transfer: a REFER whose Refer-To replaces that consultation call)
joins the transferee and the target in the transferee's call, and the
transferor's two dialogs end. pjsua would place a call of its own for the
REFER, so the box answers it 403 and does the join itself; the transferor's
phone sees both its calls end.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from firmware.config import Config
from firmware.config.target import Kind, Target
from firmware.engine.call import Call, Destination
from firmware.engine.features.hold.states import Held
from firmware.engine.features.scenarios.service import ScenarioRun, Services
from firmware.engine.features.transfer.states import HandingOn, Transferring, ring_back
from firmware.engine.leg import Leg, Refer
from firmware.engine.states import OnFail, State, Talking
from firmware.routing.outbound import CallOut
from firmware.routing.outcome import Disposition, Refusal
from firmware.routing.transfer import transfer_target
from firmware.store import analytics

#: Rings a department, ICM's manager or a number outside for a handed-on call, once the
#: transferor has gone; ``OnFail`` is told when nobody took it. A Refusal: it cannot be.
HandOnTo = Callable[[Call, Target | CallOut, OnFail], Callable[[], State] | Refusal]

log = logging.getLogger(__name__)


class Transfer:
    def __init__(
        self,
        *,
        config: Callable[[], Config],
        calls: Callable[[], Iterable[Call]],
        party_phone: Callable[[Call, Leg], Destination | None],
        extension: Callable[[str, str], Destination],
        hand_on: HandOnTo,
        shown: Callable[[Leg], str],
    ) -> None:
        """``party_phone``: where to ring the transferor back, None when that is no
        extension of the box; ``extension``: an extension's phone, rung showing a caller;
        ``shown``: a party's number as the box writes a caller's."""
        self._config = config
        self._calls = calls
        self._party_phone = party_phone
        self._extension = extension
        self._hand_on_to = hand_on
        self._shown = shown

    def requested(self, call: Call, transferor: Leg, refer: Refer) -> Leg | None:
        """The leg pjsua places the call to the target on; None refuses the REFER (an
        attended transfer is then done already, or refused)."""
        if refer.replaces:
            self._attended(call, transferor, refer.replaces)
            return None
        target = refer.target
        transferee = call.other(transferor)
        where = self._where(call, transferor, transferee, target)
        if where is None:
            return None
        assert isinstance(transferee, Leg)
        if isinstance(where, CallOut) or where.kind is not Kind.EXTENSION:
            handing = self._hand_on(call, transferor, transferee, where, target)
            if handing is not None:
                call.ctx.loop.post(lambda: call.switch(handing, "transfer"))
            return None
        leg = call.ctx.new_leg(transferor.account, call)
        call.adopt(leg, key=target)
        transferring = self._transferring(call, transferor, transferee, leg, target)
        # After pjsua has placed the call: the REFER is still being handled now.
        call.ctx.loop.post(lambda: call.switch(transferring, "transfer"))
        return leg

    def _attended(self, call: Call, transferor: Leg, replaces: str) -> None:
        """Joins ``call``'s other party with whom the transferor talks in the call whose
        dialog ``replaces`` names; both of the transferor's legs end."""
        found = [
            (other, leg)
            for other in self._calls()
            for leg in (other.a_leg, other.b_leg)
            if isinstance(leg, Leg) and leg.call_id == replaces and other is not call
        ]
        transferee = call.other(transferor)
        why = None if found else f"no call of this box has the dialog {replaces!r}"
        if found:
            consult, own = found[0]
            target = consult.other(own)
            if own.remote_user() != transferor.remote_user():
                why = "the two calls are not the same party's"
            elif not all(isinstance(c.state, Talking | Held) for c in (call, consult)):
                why = "one of the calls is not talking"
            elif not isinstance(target, Leg) or not isinstance(transferee, Leg):
                why = "a party has gone"
        if why is not None:
            log.warning("call %s: attended transfer refused: %s", call.record, why)
            return
        assert isinstance(target, Leg)
        number = target.remote_user()
        log.info("call %s: attended transfer to %s (call %s)", call.record, number, consult.record)
        consult.hand_over(target)
        call.adopt(target, key=number)
        call.seat(target, transferor.role)
        call.ctx.records.note(call.record, transferred_to=number)

        def join() -> None:  # after pjsua is done with the REFER
            call.switch(Talking(resumed=True), "attended transfer")
            transferor.end()
            own.end()

        call.ctx.loop.post(join)

    def keyed(self, call: Call, transferor: Leg, target: str) -> State | None:
        """A transfer keyed during the call: the box rings ``target`` itself."""
        transferee = call.other(transferor)
        where = self._where(call, transferor, transferee, target)
        if where is None:
            return None
        assert isinstance(transferee, Leg)
        if isinstance(where, CallOut) or where.kind is not Kind.EXTENSION:
            return self._hand_on(call, transferor, transferee, where, target)
        leg = call.ring(self._extension(target, transferee.remote_user()))
        if leg is None:
            return None
        return self._transferring(call, transferor, transferee, leg, target)

    def _transferring(
        self, call: Call, transferor: Leg, transferee: Leg, target: Leg, number: str
    ) -> Transferring:
        log.info("call %s: %s leg transfers to %s", call.record, transferor.role, number)
        return Transferring(
            transferor=transferor,
            transferee=transferee,
            target=target,
            target_number=number,
            recall=self._party_phone(call, transferor),
            ring_timeout=self._config().calls.ring_timeout,
        )

    def _hand_on(
        self, call: Call, transferor: Leg, transferee: Leg, where: Target | CallOut, number: str
    ) -> HandingOn | None:
        """The state in which the transferor leaves and the box rings ``where`` for the
        transferee; None (the call goes on) when it cannot be rung."""
        recall = self._party_phone(call, transferor)
        ring_timeout = self._config().calls.ring_timeout

        def not_reached(call: Call, refusal: Refusal) -> State:
            log.info("call %s: transfer to %s: %s", call.record, number, refusal.why)
            return ring_back(
                call, transferee=transferee, recall=recall, number=number, ring_timeout=ring_timeout
            )

        ringing = self._hand_on_to(call, where, not_reached)
        if isinstance(ringing, Refusal):
            log.warning("call %s: transfer to %s refused: %s", call.record, number, ringing.why)
            return None
        log.info("call %s: %s leg hands the call on to %s", call.record, transferor.role, number)
        to = where.number.normal if isinstance(where, CallOut) else number
        call.on_answer.append(lambda leg: call.ctx.records.note(call.record, transferred_to=to))
        return HandingOn(
            transferor=transferor,
            transferee=transferee,
            shown=self._shown(transferee),
            then=ringing,
        )

    def _where(
        self, call: Call, transferor: Leg, transferee: Leg | object, number: str
    ) -> Target | CallOut | None:
        """What ``number`` hands the call to; None, with the reason logged, refuses it."""
        where = transfer_target(self._config(), transferor=transferor.remote_user(), number=number)
        if not isinstance(call.state, Talking | Held) or not isinstance(transferee, Leg):
            why = f"the call is {call.state.name if call.state else 'new'}, not talking"
        elif transferor not in (call.a_leg, call.b_leg):
            why = "not from a party of the call"
        elif number in (transferor.remote_user(), transferee.remote_user()):
            why = "the target is already in the call"
        elif isinstance(where, Refusal):
            why = where.why
        else:
            return where
        log.warning("call %s: transfer to %s refused: %s", call.record, number, why)
        return None


class HandOn(ScenarioRun):
    """The run of a call a transfer hands to a department or to ICM: one step, the
    target, and when nobody takes it ``not_reached`` (the transferor's phone rings back)
    instead of a scenario going on. Its pass shows in the scenario report as
    ``(transfer)``: how the calls the office handed on fared."""

    SCENARIO = "(transfer)"

    def __init__(
        self, services: Services, call: Call, *, target: Target, not_reached: OnFail
    ) -> None:
        super().__init__(services, call, scenario=self.SCENARIO, mode=None, number=call.dialed)
        self.target = target
        self._not_reached = not_reached

    def next(self) -> State:
        if self.scenario != self.SCENARIO:  # ICM's default sent the call into a scenario
            return super().next()
        self._close_step(None)
        if self.index >= 0:
            return self._not_reached(self.call, _NOT_TAKEN)
        self.index = 0
        self.step_id = analytics.step(
            self.services.store, self.pass_id, kind="transfer", target=str(self.target)
        )
        return self.goto(self.target)


_NOT_TAKEN = Refusal(480, "No Answer", None, Disposition.NO_ANSWER, "nobody took the call")
