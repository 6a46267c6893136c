"""Playing voice prompts to a leg: a sequence of files, once, then a callback on the engine thread.

pjsua2 reports the end of a file through ``AudioMediaPlayer.onEof2``, and that
does not come on the engine thread, whatever ``mainThreadOnly`` says: the WAV
player posts a PJMEDIA_EVENT_CALLBACK from the conference clock to pjmedia's
event manager, whose own worker thread calls ``onEof2`` (pjmedia/wav_player.c
``file_get_frame`` and event.c ``event_worker_thread`` in 2.17; pjsua2's
pending-job queue for the main thread is not involved). So ``onEof2`` only posts
to the ``EngineLoop`` and everything else happens on the engine thread.

One pjsua player per file, made when its turn comes, rather than a pjmedia
playlist: a playlist reports its end when it *reads* the last file into its
250 ms buffer, before the caller has heard it, and needs every file in the same
format; a single-file player reports its end when the last frame has gone to
the bridge. The turn from one file to the next costs a frame or two of silence.
Only one player per sequence exists at a time: pjsua has PJSUA_MAX_PLAYERS
slots for the whole engine (512 in images/pjproject/config_site.h), shared
with music on hold and the queues' music.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path

import pjsua2 as pj

from firmware.engine.loop import EngineLoop

log = logging.getLogger(__name__)


class _FilePlayer(pj.AudioMediaPlayer):  # type: ignore[misc]  # pjsua2 (SWIG) is untyped, so Any
    """One prompt file, played once; its end is reported through ``on_eof`` from any thread."""

    def __init__(self, path: Path, on_eof: Callable[[], None]) -> None:
        super().__init__()
        self._on_eof = on_eof
        self.createPlayer(str(path), pj.PJMEDIA_FILE_NO_LOOP)

    def onEof2(self) -> None:  # noqa: N802 (pjsua2 API); on pjmedia's event thread
        try:
            self._on_eof()
        except Exception:  # an exception must not unwind into pjmedia's thread
            log.exception("prompt end could not be reported")


class PromptPlayer:
    """Plays prompt files one after another to one leg's audio, once.

    ``on_done`` runs on the engine thread after the last file has been played,
    exactly once, and never if ``stop`` came first. A file that cannot be played
    (gone, damaged) is logged and skipped: a caller hears less, but the call
    flow waiting for ``on_done`` always goes on. ``on_done`` is never called
    from inside ``start``. Engine thread only, like all pjsua2 work.

    Its pjsua2 objects go as soon as it ends, is stopped or is dropped, and it
    makes no reference cycle; a player still playing at shutdown must be
    stopped before ``libDestroy``, like every other media object.
    """

    def __init__(
        self, loop: EngineLoop, files: Sequence[Path], on_done: Callable[[], None]
    ) -> None:
        self._loop = loop
        self._files = [Path(f) for f in files]
        self._on_done: Callable[[], None] | None = on_done
        self._sink: pj.AudioMedia | None = None
        self._player: _FilePlayer | None = None
        self._index = -1

    def __repr__(self) -> str:
        names = ",".join(f.stem for f in self._files)
        return f"<PromptPlayer {names} at {self._index}{'' if self.active else ' (over)'}>"

    @property
    def active(self) -> bool:
        """True from ``start`` until the sequence ended or was stopped."""
        return self._sink is not None

    def start(self, sink: pj.AudioMedia) -> None:
        if self._sink is not None or self._index >= 0:
            raise RuntimeError(f"{self!r} has already been started")
        self._sink = sink
        self._next()

    def stop(self) -> None:
        """Stops at once (the caller hung up or pressed a key); ``on_done`` will not run."""
        self._on_done = None
        self._finish()

    def _next(self) -> None:
        """Starts the next playable file, or ends the sequence."""
        self._drop_player()
        while self._sink is not None:
            self._index += 1
            if self._index >= len(self._files):
                self._loop.post(self._complete)
                return
            path = self._files[self._index]
            try:
                player = _FilePlayer(path, self._eof_reporter(self._index))
                player.startTransmit(self._sink)
            except pj.Error as exc:
                log.warning("prompt %s skipped: %s", path, exc.info())
                continue
            self._player = player
            return

    def _eof_reporter(self, index: int) -> Callable[[], None]:
        """What the player calls at its end; a weak reference, so player and owner form no cycle."""
        owner = weakref.ref(self)
        loop = self._loop

        def on_engine_thread() -> None:
            player = owner()
            if player is not None:
                player._ended(index)

        def on_eof() -> None:
            loop.post(on_engine_thread)

        return on_eof

    def _ended(self, index: int) -> None:
        if index == self._index and self._sink is not None:
            self._next()

    def _complete(self) -> None:
        done, self._on_done = self._on_done, None
        self._finish()
        if done is not None:
            done()

    def _finish(self) -> None:
        self._sink = None
        self._drop_player()

    def _drop_player(self) -> None:
        """Destroying the player takes its port out of the bridge, disconnecting it."""
        self._player = None
