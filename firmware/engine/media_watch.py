"""Calls whose far end fell silent: a phone that lost power or its network sends no BYE,
and without this its call would hold a line, a trunk channel and the extension's
call cap for ever.

Every few seconds the watch reads each leg's RTP counter (the engine's own
stream statistics; nothing is done per packet). A leg whose media is active
in both directions and has received nothing for ``[calls] media_timeout``
seconds is hung up; the call then ends the way it ends when that party hangs
up, and its record says the box did it and why. A leg on hold (either side)
or not yet answered is not watched: silence there is expected.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Callable, Iterable

from firmware.engine.call import Call
from firmware.engine.leg import Leg, LegState
from firmware.engine.loop import EngineLoop

log = logging.getLogger(__name__)


class MediaWatch:
    def __init__(
        self,
        loop: EngineLoop,
        calls: Callable[[], Iterable[Call]],
        timeout: Callable[[], float],
    ) -> None:
        self._loop = loop
        self._calls = calls
        self._timeout = timeout
        #: Per leg: the last RTP count seen and when it last changed (monotonic).
        self._heard: weakref.WeakKeyDictionary[Leg, tuple[int, float]] = weakref.WeakKeyDictionary()

    def start(self) -> None:
        self._loop.call_later(self._period(), self._sweep)

    def _period(self) -> float:
        return max(1.0, self._timeout() / 4)

    def _sweep(self) -> None:
        now, timeout = time.monotonic(), self._timeout()
        for call in list(self._calls()):
            for leg in call.legs:
                if leg.state is not LegState.CONFIRMED or not leg.media_active:
                    self._heard.pop(leg, None)
                    continue
                received = leg.rtp_counts()["rx_packets"]
                last, since = self._heard.get(leg, (-1, now))
                if received != last:
                    self._heard[leg] = (received, now)
                elif now - since >= timeout:
                    log.warning(
                        "call %s: no RTP from the %s leg for %.0f s; hanging it up",
                        call.record,
                        leg.role,
                        now - since,
                    )
                    call.media_lost(leg, f"no RTP from the {leg.role} leg for {timeout:g} s")
        self._loop.call_later(self._period(), self._sweep)
