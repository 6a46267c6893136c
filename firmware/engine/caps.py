"""The per-extension call cap, applied as a call arrives (the rule is ``routing/limits.py``).

It counts from the calls the engine holds, so a call stops counting when its
last leg is gone, and nothing can drift out of step with what is really up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from firmware.config import Config
from firmware.engine.call import Call
from firmware.routing.limits import call_cap
from firmware.routing.outbound import CallOut, Decision
from firmware.routing.outcome import Refusal


class CallCaps:
    def __init__(
        self, *, calls: Callable[[], Iterable[Call]], config: Callable[[], Config]
    ) -> None:
        self._calls = calls
        self._config = config

    def placed_by(self, extension: str) -> list[Call]:
        """The calls up now that ``extension`` placed, callbacks for its requests included.

        An outside caller showing the same digits as an extension is not it:
        calls from lines never count.
        """
        return [c for c in self._calls() if c.caller == extension and c.direction != "inbound"]

    def refusal(self, extension: str, decision: Decision) -> Refusal | None:
        """The refusal of a new call from ``extension`` when it is at its cap, else None.

        ``decision`` is what routing made of the number dialed.
        """
        config = self._config()
        found = config.extension(extension)
        if found is None:
            return None
        emergency = isinstance(decision, CallOut) and decision.emergency
        placed = len(self.placed_by(extension))
        return call_cap(config, found, placed=placed, emergency=emergency)
