"""A leg without SIP: the engine's Leg interface, driven by the test as its party.

As httpx's MockTransport stands in for the network, ``FakeLeg`` stands in for
a pjsua2 call, so the call flows (``engine/states.py`` and the features'
states) run in milliseconds on a loop whose clock the test moves. The
end-to-end tests with real phones stay the proof that the flows work on SIP.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from firmware.engine.call import Call, CallContext
from firmware.engine.leg import Leg, LegListener, LegState
from firmware.engine.loop import EngineLoop
from firmware.routing.toneplans import Tone
from firmware.store.cdr import CallRecords
from firmware.store.db import connect

_IDS = itertools.count(1)


class FakeAudio:
    """A leg's port in the bridge: which ports it sends to."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sinks: set[object] = set()

    def __repr__(self) -> str:
        return f"<audio {self.name}>"

    def startTransmit(self, sink: object) -> None:
        self.sinks.add(sink)

    def stopTransmit(self, sink: object) -> None:
        self.sinks.discard(sink)


class FakeLeg(Leg):
    """A party's side of the call; ``sent`` lists what the engine did to it."""

    def __init__(
        self, listener: LegListener, *, user: str, role: str = "b", incoming: bool = False
    ):
        # Deliberately no pj.Call.__init__: nothing here may reach pjsua.
        self.role = role
        self.listener = listener
        self.user = user
        self.state = LegState.INCOMING if incoming else LegState.NEW
        self.status = 0
        self.reason = ""
        self.call_id = f"fake-{next(_IDS)}"
        self._audio: Any = None
        self._media_index = 0
        self.media_active = False
        self.held = False
        self.keyed = ""
        self.account = None
        self.uri = ""
        self.headers: dict[str, str] = {}
        self.sent: list[str] = []

    def __repr__(self) -> str:
        return f"<FakeLeg {self.user} {self.state}>"

    # What the engine does to the leg.
    def dial(self, uri: str, *, from_uri: str, headers: dict[str, str] | None = None) -> None:
        self.uri, self.state, self.headers = uri, LegState.CALLING, dict(headers or {})
        self.user = uri.removeprefix("sip:").split("@")[0]
        self.sent.append(f"dial {uri} from {from_uri}")

    def respond(self, status: int, reason: str = "") -> None:
        """183 brings early media up, 200 answers: as a phone's call does."""
        self.sent.append(f"respond {status}")
        if status == 200 and self.state is not LegState.CONFIRMED:
            self.answers()
        elif status == 183 and self._audio is None:
            self.media_up()

    def end(self, status: int = 0, reason: str = "") -> None:
        if self.state is LegState.DISCONNECTED:
            return
        self.sent.append(f"end {status}" if status else "end")
        self._disconnect(status or 200)

    def remote_user(self) -> str:
        return self.user

    def rtp_counts(self) -> dict[str, int]:
        return {"rx_packets": 0, "tx_packets": 0}

    # What its party does.
    def rings(self) -> None:
        self.state = LegState.EARLY
        self.listener.on_leg_state(self)

    def answers(self) -> None:
        self.state = LegState.CONFIRMED
        self.listener.on_leg_state(self)
        if self._audio is None:
            self.media_up()

    def media_up(self) -> None:
        self._audio = FakeAudio(self.user)
        self.media_active = True
        self.listener.on_leg_media(self)

    def hangs_up(self, status: int = 200) -> None:
        self._disconnect(status)

    def holds(self, held: bool = True) -> None:
        self.held = held
        self.listener.on_leg_hold(self)

    def keys(self, digits: str) -> None:
        for digit in digits:
            self.listener.on_leg_dtmf(self, digit)

    def _disconnect(self, status: int) -> None:
        self.state, self.status, self._audio = LegState.DISCONNECTED, status, None
        self.listener.on_leg_state(self)


class FakeTone:
    def __init__(self, tone: Tone) -> None:
        self.tone = tone
        self.heard_by: list[object] = []
        self.closed = False

    def send_to(self, audio: object) -> None:
        self.heard_by.append(audio)

    def close(self) -> None:
        self.closed = True


class FakePrompts:
    """Plays nothing; a test ends the playing with ``done``. A prompt stopped (the caller
    keyed, or left) is no longer playing and never says it is done, as the engine's."""

    def __init__(self) -> None:
        self.playing: list[tuple[list[str | Path], object, Callable[[], None]]] = []
        #: Prompts cut off while they played.
        self.stopped = 0

    def __call__(self, names: Any, audio: object, done: Callable[[], None]) -> _Playing:
        self.playing.append((list(names), audio, done))
        return _Playing(self, self.playing[-1])

    def done(self) -> None:
        """The prompt playing longest has been heard to the end."""
        self.playing.pop(0)[2]()


class _Playing:
    def __init__(self, prompts: FakePrompts, entry: tuple[Any, ...]) -> None:
        self._prompts = prompts
        self._entry = entry

    def stop(self) -> None:
        playing = self._prompts.playing
        for index, entry in enumerate(playing):
            if entry is self._entry:
                del playing[index]
                self._prompts.stopped += 1
                return


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Office:
    """One engine's worth of what a call needs, faked; ``legs`` are every leg it rang."""

    def __init__(self, **features: Any) -> None:
        self.clock = Clock()
        self.loop = EngineLoop(lambda ms: None, clock=self.clock)
        self.store = connect(":memory:")
        self.records = CallRecords(self.store)
        self.prompts = FakePrompts()
        self.tones: list[FakeTone] = []
        self.legs: list[FakeLeg] = []
        #: The calls up, as the engine keeps them (pickup and queues look at them).
        self.calls: list[Call] = []
        self.finished: list[Call] = []
        #: Trunks whose channel a call gave back, in order.
        self.released: list[str] = []
        none: Callable[..., Any] = lambda *args: None  # noqa: E731
        #: What else hears of a channel given back (the office's lines, when it has them).
        self.on_release: list[Callable[[str], None]] = []
        self.ctx = CallContext(
            loop=self.loop,
            account=None,
            records=self.records,
            tones=self._tone,
            new_leg=self._leg,
            play_prompts=self.prompts,
            tone_timeout=1.0,
            sip_domain="pbx.test",
            on_finished=self._finished,
            hold=features.get("hold", none),
            transfer=features.get("transfer", none),
            keyed=features.get("keyed", none),
            release_line=self._release,
        )

    def _finished(self, call: Call) -> None:
        if call in self.calls:
            self.calls.remove(call)
        self.finished.append(call)

    def _release(self, trunk: str) -> None:
        self.released.append(trunk)
        for hook in self.on_release:
            hook(trunk)

    def _tone(self, tone: Tone) -> FakeTone:
        self.tones.append(FakeTone(tone))
        return self.tones[-1]

    def _leg(self, account: object, listener: LegListener) -> FakeLeg:
        self.legs.append(FakeLeg(listener, user=""))
        return self.legs[-1]

    def call(self, caller: str, dialed: str) -> tuple[Call, FakeLeg]:
        """A call arriving from ``caller``'s phone."""
        a_leg = FakeLeg(None, user=caller, role="a", incoming=True)  # type: ignore[arg-type]
        return self.new_call(a_leg, caller=caller, dialed=dialed), a_leg

    def box_call(self, extension: str, number: str, **details: Any) -> tuple[FakeLeg, Call]:
        """A call the box places on ``extension``'s behalf (a callback): its a_leg will ring
        the extension's phone, once dialed."""
        a_leg = FakeLeg(None, user=extension, role="a")  # type: ignore[arg-type]
        call = self.new_call(
            a_leg, caller=extension, dialed=number, direction="outbound", **details
        )
        return a_leg, call

    def new_call(self, a_leg: FakeLeg, *, caller: str, dialed: str, **details: Any) -> Call:
        """The call of ``a_leg``, its record opened, as the engine's ``new_call``."""
        record = self.records.open(
            call_id="c", caller=caller, callee=dialed, dialed=dialed, **details
        )
        direction = str(details.get("direction", "internal"))
        call = Call(
            self.ctx, a_leg, caller=caller, dialed=dialed, record=record, direction=direction
        )
        self.calls.append(call)
        return call

    def after(self, seconds: float) -> None:
        """Time passes: every timer due by then runs, in order."""
        self.clock.now += seconds
        self.loop.run_once()

    def record(self, call: Call) -> dict[str, Any]:
        return dict(
            self.store.execute("SELECT * FROM calls WHERE id = ?", (call.record,)).fetchone()
        )
