"""The hold feature's service: one music-on-hold player shared by every held party."""

from __future__ import annotations

from pathlib import Path

from firmware.engine.call import Call
from firmware.engine.features.hold.states import Held
from firmware.engine.leg import Leg
from firmware.engine.media import Music
from firmware.engine.states import State


class Hold:
    def __init__(self, music_path: Path) -> None:
        self._music_path = music_path
        self._music: Music | None = None

    def held(self, call: Call, holder: Leg) -> State:
        """The state of ``call`` once ``holder`` has put it on hold."""
        return Held(holder, self._player())

    def close(self) -> None:
        """Before the library goes: a player left behind would abort the process at exit."""
        self._music = None

    def _player(self) -> Music:
        """Made on the first hold, on the engine thread: a player is a port of the bridge."""
        if self._music is None:
            self._music = Music(self._music_path)
        return self._music
