"""The transfer feature's service: whether a REFER is taken, and the target's leg.

A phone's transfer key sends a REFER naming the target; pjsua answers it and
places the call to the target itself, on the leg given here, so the transferor
hears how it goes (NOTIFY). A phone without the key keys ``[dialing]
transfer`` and the extension during the call; the box rings the target itself
then, showing who is handed on. The box takes only transfers to its own
extensions, by the party who is talking (not ringing, not already handing the
call on); anything else is refused (403 to a REFER) and the call goes on.

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
from firmware.engine.call import Call, Destination
from firmware.engine.features.hold.states import Held
from firmware.engine.features.transfer.states import Transferring
from firmware.engine.leg import Leg, Refer
from firmware.engine.states import Talking

log = logging.getLogger(__name__)


class Transfer:
    def __init__(
        self,
        *,
        config: Callable[[], Config],
        calls: Callable[[], Iterable[Call]],
        party_phone: Callable[[Call, Leg], Destination | None],
        extension: Callable[[str, str], Destination],
    ) -> None:
        """``party_phone``: where to ring the transferor back, None when that is no
        extension of the box; ``extension``: an extension's phone, rung showing a caller."""
        self._config = config
        self._calls = calls
        self._party_phone = party_phone
        self._extension = extension

    def requested(self, call: Call, transferor: Leg, refer: Refer) -> Leg | None:
        """The leg pjsua places the call to the target on; None refuses the REFER (an
        attended transfer is then done already, or refused)."""
        if refer.replaces:
            self._attended(call, transferor, refer.replaces)
            return None
        target = refer.target
        transferee = call.other(transferor)
        why = self._refusal(call, transferor, transferee, target)
        if why is not None:
            log.warning("call %s: transfer to %s refused: %s", call.record, target, why)
            return None
        assert isinstance(transferee, Leg)
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

    def keyed(self, call: Call, transferor: Leg, target: str) -> Transferring | None:
        """A transfer keyed during the call: the box rings ``target`` itself."""
        transferee = call.other(transferor)
        why = self._refusal(call, transferor, transferee, target)
        if why is not None:
            log.warning("call %s: transfer to %s refused: %s", call.record, target, why)
            return None
        assert isinstance(transferee, Leg)
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

    def _refusal(
        self, call: Call, transferor: Leg, transferee: Leg | object, target: str
    ) -> str | None:
        if not isinstance(call.state, Talking | Held) or not isinstance(transferee, Leg):
            return f"the call is {call.state.name if call.state else 'new'}, not talking"
        if transferor not in (call.a_leg, call.b_leg):
            return "not from a party of the call"
        if self._config().extension(target) is None:
            return f"{target!r} is no extension of this box"
        if target in (transferor.remote_user(), transferee.remote_user()):
            return "the target is already in the call"
        return None
