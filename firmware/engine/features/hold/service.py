"""The hold feature's service: one music-on-hold player for every held party, and the
holder's phone to ring when a call has been on hold too long."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from firmware.config.schema import Hold as HoldSettings
from firmware.engine.call import Call, Destination
from firmware.engine.features.hold.states import Held
from firmware.engine.leg import Leg
from firmware.engine.media import Music
from firmware.engine.states import State


class Hold:
    def __init__(
        self,
        *,
        music_path: Path,
        settings: Callable[[], HoldSettings],
        holder_phone: Callable[[Call, Leg], Destination | None],
        music: Callable[[Path], Music] = Music,
    ) -> None:
        """``holder_phone``: where to ring the holder back, None for a holder who is no
        extension of the box; ``music`` makes the player (a line-in's, where there is one)."""
        self._make_music = music
        self._music_path = music_path
        self._settings = settings
        self._holder_phone = holder_phone
        self._music: Music | None = None

    def held(self, call: Call, holder: Leg) -> State:
        """The state of ``call`` once ``holder`` has put it on hold."""
        return Held(
            holder,
            music=self.player(),
            settings=self._settings(),
            recall=self._holder_phone(call, holder),
        )

    def close(self) -> None:
        """Before the library goes: a player left behind would abort the process at exit."""
        self._music = None

    def player(self) -> Music:
        """Made on the first hold, on the engine thread: a player is a port of the bridge."""
        if self._music is None:
            self._music = self._make_music(self._music_path)
        return self._music
