"""ICM's state: the call waits while the CRMs are asked."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from firmware import icm_lookup
from firmware.engine.call import Call, Event
from firmware.engine.states import Ended, State
from firmware.routing import icm
from firmware.routing.outcome import Disposition, Party
from firmware.store.cdr import CallEnd

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)


class LookingUp(State):
    """The CRMs are being asked in a worker; the caller waits at most ``icm.timeout``,
    then the call goes on with what has come (a source that did not answer in time
    counts as failed)."""

    name = "icm_lookup"
    expects = frozenset({Event.A_ENDED, Event.LOOKED_UP, Event.LOOKUP_TIMEOUT})

    def __init__(
        self,
        pending: icm_lookup.Pending,
        lookup: icm_lookup.IcmLookup,
        workers: ThreadPoolExecutor,
        then: Callable[[list[icm.SourceAnswer]], State],
    ) -> None:
        self.pending = pending
        self.lookup = lookup
        self.workers = workers
        self.then = then

    def enter(self, call: Call) -> None:
        call.set_timer(self.lookup.timeout, Event.LOOKUP_TIMEOUT)

        def done() -> None:
            call.ctx.loop.post(lambda: self._looked_up(call))

        self.workers.submit(self.lookup.run, self.pending, done)

    def _looked_up(self, call: Call) -> None:
        if call.state is self:  # not when the time ran out first, or the caller left
            call.dispatch(Event.LOOKED_UP)

    def handle(self, call: Call, event: Event) -> State | None:
        if event in (Event.LOOKED_UP, Event.LOOKUP_TIMEOUT):
            call.cancel_timer()
            if event is Event.LOOKUP_TIMEOUT:
                log.warning("call %s: icm: the CRM did not answer in time", call.record)
            return self.then(self.pending.answers(self.lookup.timeout))
        if event is Event.A_ENDED:
            call.cancel_timer()
            self.pending.abandoned.set()
            call.finish(CallEnd(Disposition.CANCELLED, Party.CALLER, 487, "caller hung up in icm"))
            return Ended()
        return None
