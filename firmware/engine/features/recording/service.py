"""The recording feature's service: which calls record, and one recorder per call.

A call's recorder is a pjsua2 ``AudioMediaRecorder`` that both parties transmit
to; the conference bridge mixes whatever reaches a port, so the file holds the
conversation as a third listener would hear it. It starts when a call listed
in ``[recording]`` is answered, or when a party who is an extension keys the
recording code; keyed again, the recording pauses (the parties stop reaching
it) and resumes into the same file. Whoever takes the call over (a transfer's
target, whoever takes a parked line, the department member a call is handed on
to) is recorded from their answer: the call tells its media hooks when a party
takes a seat, and its answer hooks, told once, are asked again at each answer.
The recorder closes when the call ends, which is when pjmedia writes the WAV
header's sizes, and the sweep then keeps the archive within its retention and
size cap.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from pathlib import Path

import pjsua2 as pj

from firmware.config import Config
from firmware.config.load import number_plan
from firmware.engine.call import Call
from firmware.engine.leg import Leg
from firmware.engine.loop import EngineLoop
from firmware.routing.recording import recorded_because
from firmware.store.cdr import CallEnd
from firmware.store.recordings import RecordingArchive

log = logging.getLogger(__name__)

#: How often the archive is swept besides at start and after each recording.
SWEEP_EVERY = 3600.0


class CallRecorder:
    """One call's WAV, hearing the parties it is given."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._recorder: pj.AudioMediaRecorder | None = pj.AudioMediaRecorder()
        self._recorder.createRecorder(str(path))
        #: The parties' audio reaching the file, by conference bridge port.
        self._hearing: dict[int, pj.AudioMedia] = {}
        self.paused = False

    def hear(self, parties: list[pj.AudioMedia]) -> None:
        """The call's parties as they are now reach the file; a party whose media was
        renewed (a hold, a re-INVITE) reaches it through its new port, and one no longer
        in the call does not. Connecting a port again is harmless."""
        self.paused = False
        if self._recorder is None:
            return
        current = {audio.getPortId(): audio for audio in parties}
        for port, gone in list(self._hearing.items()):
            if port not in current:
                with contextlib.suppress(pj.Error):  # its media may be gone already
                    gone.stopTransmit(self._recorder)
                del self._hearing[port]
        for port, audio in current.items():
            audio.startTransmit(self._recorder)
            self._hearing[port] = audio

    def pause(self) -> None:
        self.paused = True
        for audio in self._hearing.values():
            with contextlib.suppress(pj.Error):  # that party's media may be gone already
                audio.stopTransmit(self._recorder)
        self._hearing.clear()

    def close(self) -> None:
        """pjmedia completes the WAV header when the recorder goes."""
        self._hearing.clear()
        self._recorder = None


class Recording:
    def __init__(
        self,
        *,
        config: Callable[[], Config],
        archive: RecordingArchive,
        loop: EngineLoop,
    ) -> None:
        self._config = config
        self._archive = archive
        self._loop = loop
        self.recorders: dict[int, CallRecorder] = {}

    def attach(self, call: Call) -> None:
        """Follows ``call``: recorded from its answer when ``[recording]`` names a party."""
        call.on_answer.append(lambda leg: self._answered(call, leg))
        call.on_finish.append(lambda end: self._finished(call, end))
        call.on_media.append(lambda leg: self._media_renewed(call))

    def _answered(self, call: Call, leg: Leg) -> None:
        # Answer hooks are told once; a call handed on (to a department) is answered again.
        call.on_answer.append(lambda leg: self._answered(call, leg))
        recorder = self.recorders.get(call.record)
        if recorder is not None:  # a party taking over a handed-on call: heard from now
            if not recorder.paused:
                self._loop.post(lambda: recorder.hear(_parties(call)))
            return
        config = self._config()
        why = recorded_because(
            config,
            number_plan(config),
            caller=call.caller,
            answered_by=leg.remote_user(),
            dialed=call.dialed,
            direction=call.direction,
        )
        if why is not None:
            log.info("call %s: recorded (%s)", call.record, why)
            # After the talking state has connected the parties.
            self._loop.post(lambda: self.start(call))

    def _media_renewed(self, call: Call) -> None:
        recorder = self.recorders.get(call.record)
        if recorder is not None and not recorder.paused:
            recorder.hear(_parties(call))

    def toggle(self, call: Call, keyer: Leg) -> None:
        """The recording code: starts or resumes recording ``call``, or pauses it."""
        recorder = self.recorders.get(call.record)
        if recorder is not None and not recorder.paused:
            log.info("call %s: recording paused by %s", call.record, keyer.remote_user())
            recorder.pause()
            return
        log.info("call %s: recording started by %s", call.record, keyer.remote_user())
        self.start(call)

    def start(self, call: Call) -> None:
        if call.end is not None:
            return
        recorder = self.recorders.get(call.record)
        if recorder is None:
            recorder = CallRecorder(self._archive.new_file(call.record))
            self.recorders[call.record] = recorder
        recorder.hear(_parties(call))

    def _finished(self, call: Call, end: CallEnd) -> None:
        recorder = self.recorders.pop(call.record, None)
        if recorder is not None:
            recorder.close()
            log.info("call %s: recording closed: %s", call.record, recorder.path)
            self._loop.post(self.sweep)

    def sweep(self) -> None:
        section = self._config().recording
        self._archive.sweep(keep_days=section.keep_days, max_bytes=section.max_total_bytes)

    def sweep_regularly(self) -> None:
        self.sweep()
        self._loop.call_later(SWEEP_EVERY, self.sweep_regularly)

    def status(self) -> list[dict[str, object]]:
        """The calls being recorded, for ``minipbx status``."""
        return [
            {"record": record, "path": str(r.path), "paused": r.paused}
            for record, r in self.recorders.items()
        ]

    def close(self) -> None:
        """The engine is stopping: every file is completed before pjsua2 goes."""
        for recorder in self.recorders.values():
            recorder.close()
        self.recorders.clear()


def _parties(call: Call) -> list[pj.AudioMedia]:
    return [p.audio for p in (call.a_leg, call.b_leg) if p is not None and p.audio is not None]
