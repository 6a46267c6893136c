"""The park feature's service: which calls wait in which slot, and taking one back."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from firmware.config import Config
from firmware.engine.call import Call, Destination
from firmware.engine.features.park.states import Parked
from firmware.engine.leg import Leg
from firmware.engine.media import Music
from firmware.routing.incall import free_slot, park_slot

log = logging.getLogger(__name__)


class Park:
    def __init__(
        self,
        *,
        config: Callable[[], Config],
        music: Callable[[], Music],
        party_phone: Callable[[Call, Leg], Destination | None],
        page: Callable[[Sequence[str], list[str | Path]], None],
        slot_changed: Callable[[int, str | None], object],
        parked: Callable[[int, Sequence[str]], None] = lambda slot, announce_to: None,
    ) -> None:
        """``page``: announces prompts on phones that answer by themselves (and the
        paging zones that take park announcements); ``slot_changed``: a slot now holds a
        call from that number, or is free (its lamp); ``parked`` tells handsets by text
        (ESPA) which line waits, and for whom."""
        self._config = config
        self._music = music
        self._party_phone = party_phone
        self._page = page
        self._slot_changed = slot_changed
        self._parked = parked
        self.parked: dict[int, Call] = {}

    def park(self, call: Call, parker: Leg, wanted: int | None) -> Parked | None:
        """The state of ``call`` parked by ``parker``; None when the slot (or every
        slot) is taken, and the call goes on."""
        config = self._config()
        slot = free_slot(config, set(self.parked), wanted)
        waiting = call.other(parker)
        if slot is None or not isinstance(waiting, Leg):
            log.warning("call %s: cannot park: no free slot", call.record)
            return None
        self.parked[slot] = call
        self._slot_changed(slot, waiting.remote_user())
        log.info("call %s: parked on line %d", call.record, slot)
        others = [e for e in config.park.announce_to if e != parker.remote_user()]
        self._page(others, ["parked_on_line", f"num_{slot}"])
        self._parked(slot, others)
        return Parked(
            slot,
            parker=parker,
            waiting=waiting,
            music=self._music(),
            recall=self._party_phone(call, parker),
            timeout=config.park.timeout,
            release=lambda: self._release(slot, call),
        )

    def take(self, leg: Leg, extension: str, dialed: str) -> bool:
        """``leg`` (``extension``'s phone, dialing the park code and a slot) takes the call
        parked there; False when that slot is empty."""
        slot = park_slot(self._config(), dialed)
        call = self.parked.get(slot) if slot is not None else None
        if call is None:
            return False
        log.info("call %s: %s takes it from line %d", call.record, extension, slot)
        call.pick_up(leg, extension)
        return True

    def _release(self, slot: int, call: Call) -> None:
        if self.parked.get(slot) is call:
            del self.parked[slot]
            self._slot_changed(slot, None)
