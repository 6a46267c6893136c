"""The pickup feature's service: the picker's phone answers in place of the ringing ones.

Which call is ``firmware.routing.pickup``'s decision; this finds the calls
ringing extensions now and hands the picker's leg to the chosen one, where it
answers as any callee would (the ringing phones stop, the record names the
picker as who answered).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from firmware.config import Config
from firmware.engine.call import Call
from firmware.engine.leg import Leg
from firmware.engine.states import Dialing, Ringing
from firmware.routing import pickup

log = logging.getLogger(__name__)


class Pickup:
    def __init__(
        self, *, calls: Callable[[], Iterable[Call]], config: Callable[[], Config]
    ) -> None:
        self._calls = calls
        self._config = config

    def take(self, leg: Leg, picker: str, code: pickup.PickupCode) -> bool:
        """Answers with ``leg`` (``picker``'s phone) the call ``code`` picks; False when
        nothing rings that it may pick up."""
        calls = {c.record: c for c in self._calls() if _ringing(c)}
        ringing = [
            pickup.Ringing(record, key, call.caller)
            for record, call in calls.items()
            for key in call.candidates
        ]
        chosen = pickup.choose(self._config(), picker, code, ringing)
        if chosen is None:
            return False
        log.info("call %s: %s picks up %s's phone", chosen.call, picker, chosen.extension)
        calls[chosen.call].pick_up(leg, picker)
        return True


def _ringing(call: Call) -> bool:
    """A call still waiting for its callee to answer (not a queue's offer, which keeps
    its own order of members)."""
    return call.b_leg is None and isinstance(call.state, Dialing | Ringing)
