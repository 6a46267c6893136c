"""The front panel's service: the mode button drives the mode keeper; the LEDs follow.

The LEDs are refreshed every ``REFRESH_SECONDS`` on the engine's loop, so a
mode forced by a feature code, a scheduled change, a busy line and a call
ringing in on a trunk all show within that time, whoever caused them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime

from drivers.panel import FrontPanel, TrunkLight
from firmware.config import Config
from firmware.engine.call import Call
from firmware.engine.features.modes.service import ModeKeeper
from firmware.engine.loop import EngineLoop
from firmware.routing.modes import ForceMode, ReleaseMode

log = logging.getLogger(__name__)

REFRESH_SECONDS = 0.5
#: Who the mode keeper names as having forced a mode from the button.
BY = "panel"


class PanelService:
    def __init__(
        self,
        panel: FrontPanel,
        *,
        loop: EngineLoop,
        modes: ModeKeeper,
        now: Callable[[], datetime],
        config: Callable[[], Config],
        calls: Callable[[], Iterable[Call]],
    ) -> None:
        self._panel = panel
        self._loop = loop
        self._modes = modes
        self._now = now
        self._config = config
        self._calls = calls
        panel.when_mode_chosen = self._chosen
        loop.call_later(0, self.refresh)

    def _chosen(self, mode: str) -> None:
        """On gpiozero's thread: the mode keeper is the engine thread's."""
        self._loop.post(lambda: self.choose(mode))

    def choose(self, mode: str) -> None:
        """The button selected ``mode``; "automatic" hands the mode back to the schedule."""
        action = ReleaseMode() if mode == "automatic" else ForceMode(mode, key="")
        self._modes.apply(action, BY, self._now())
        log.info("front panel: mode %s", mode)
        self._show()

    def refresh(self) -> None:
        try:
            self._show()
        except Exception:  # the panel failing must not stop calls
            log.exception("front panel refresh failed")
        self._loop.call_later(REFRESH_SECONDS, self.refresh)

    def _show(self) -> None:
        self._panel.show_mode(str(self._modes.describe(self._now())["mode"]))
        self._panel.show_trunks(trunk_lights(self._config(), self._calls()))


def trunk_lights(config: Config, calls: Iterable[Call]) -> list[TrunkLight]:
    """Each trunk's light in [[trunks]] order: ringing while a call on it waits for an
    answer, busy while one is up on it, idle otherwise."""
    lights = {trunk.name: TrunkLight.IDLE for trunk in config.trunks}
    for call in calls:
        for trunk in call.trunks:
            ringing = call.direction == "inbound" and call.b_leg is None
            if lights.get(trunk) is not TrunkLight.RINGING:
                lights[trunk] = TrunkLight.RINGING if ringing else TrunkLight.BUSY
    return [lights[trunk.name] for trunk in config.trunks]
