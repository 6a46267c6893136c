"""The test's side of a phone: start the agent process, send commands, wait for events.

Waiting is always for a condition (an event, a tone in the recording) with a
deadline, never a fixed sleep hoping something happened. Every timeout is
multiplied by ``MINIPBX_TEST_TIMEOUT`` (default 1) so a slow machine can
stretch them all at once: ``MINIPBX_TEST_TIMEOUT=3 pytest -m sip``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from tests.support import audio

SCALE = float(os.environ.get("MINIPBX_TEST_TIMEOUT", "1"))
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TIMEOUT = 5.0
#: Enough for a tone to be told from noise, short enough to follow a call that changes.
HEARD_WINDOW_S = 0.4
RECENT = 15
AGENT = "tests.support.phone_agent"


class PhoneError(AssertionError):
    """A phone did not do what the test expected; the message carries its recent events."""


class Server(Protocol):
    """What a phone needs to know of a box to register with it (``tests.support.box.Box``)."""

    @property
    def server(self) -> str: ...

    @property
    def domain(self) -> str: ...

    def password(self, number: str) -> str: ...


class Phone:
    """One test phone: a ``tests.support.phone_agent`` process and what it reported."""

    def __init__(self, name: str, workdir: Path) -> None:
        self.name = name
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._events: list[dict[str, Any]] = []
        self._consumed: set[int] = set()
        self._replies: dict[Any, dict[str, Any]] = {}
        self._cond = threading.Condition()
        self._write_lock = threading.Lock()
        self._next_id = 0
        self._eof = False
        self._stderr_path = self.workdir / f"{name}.stderr.log"
        self._stderr = self._stderr_path.open("wb")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", AGENT, "--name", name, "--workdir", str(self.workdir)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        self._reader = threading.Thread(target=self._read, name=f"phone-{name}", daemon=True)
        self._reader.start()
        try:
            ready = self.wait_event("ready", timeout=10)
        except BaseException:
            self.close()
            raise
        self.port: int = ready["port"]
        self.tcp_port: int = ready["tcp_port"]
        self.uri: str = ready["uri"]

    def __enter__(self) -> Phone:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Phone {self.name} pid={self._proc.pid}>"

    # The wire.
    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                message = {"event": "garbage", "t": time.monotonic(), "line": line.rstrip()}
            with self._cond:
                if "reply" in message:
                    self._replies[message["reply"]] = message
                else:
                    self._events.append(message)
                self._cond.notify_all()
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    def _write(self, message: dict[str, Any]) -> None:
        assert self._proc.stdin is not None
        with self._write_lock:
            self._proc.stdin.write(json.dumps(message) + "\n")
            self._proc.stdin.flush()

    def send(self, cmd: str, timeout: float = DEFAULT_TIMEOUT, **args: Any) -> dict[str, Any]:
        """Runs one agent command and returns its reply; raises PhoneError if it failed."""
        with self._cond:
            self._next_id += 1
            ident = self._next_id
        try:
            self._write({"id": ident, "cmd": cmd, **args})
        except OSError as exc:
            raise PhoneError(f"{self.name}: cannot send {cmd}: {exc}{self._stderr_tail()}") from exc
        with self._cond:
            self._cond.wait_for(lambda: ident in self._replies or self._eof, timeout * SCALE)
            reply = self._replies.pop(ident, None)
        if reply is None:
            why = "agent exited" if self._eof else f"no reply within {timeout * SCALE:g} s"
            raise PhoneError(f"{self.name}: {cmd}: {why}{self._stderr_tail()}")
        if not reply["ok"]:
            raise PhoneError(f"{self.name}: {cmd} {args} failed: {reply['error']}")
        return reply

    # Events.
    def wait_event(
        self, kind: str | Iterable[str], timeout: float = DEFAULT_TIMEOUT, **match: Any
    ) -> dict[str, Any]:
        """The first event of ``kind`` (one name or several) matching ``match`` not yet returned.

        Each event is returned once, so two waits for ``incoming`` return two
        different calls, in the order they came.
        """
        kinds = {kind} if isinstance(kind, str) else set(kind)

        def find() -> dict[str, Any] | None:
            for index, ev in enumerate(self._events):
                if index in self._consumed or ev["event"] not in kinds:
                    continue
                if all(ev.get(key) == value for key, value in match.items()):
                    self._consumed.add(index)
                    return ev
            return None

        deadline = time.monotonic() + timeout * SCALE
        with self._cond:
            while (found := find()) is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._eof:
                    why = "agent exited" if self._eof else f"not within {timeout * SCALE:g} s"
                    raise PhoneError(
                        f"{self.name}: no {'|'.join(sorted(kinds))} event {match}: {why}"
                        f"{self._recent()}{self._stderr_tail() if self._eof else ''}"
                    )
                self._cond.wait(remaining)
        return found

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        with self._cond:
            return [e for e in self._events if kind is None or e["event"] == kind]

    def wait_state(self, call: int, state: str, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        return self.wait_event("call_state", timeout, call=call, state=state)

    def _recent(self) -> str:
        with self._cond:
            lines = [json.dumps(e) for e in self._events[-RECENT:]]
        return f"\n  recent events of {self.name}:\n    " + "\n    ".join(lines or ["(none)"])

    def _stderr_tail(self) -> str:
        try:
            tail = self._stderr_path.read_text(errors="replace").splitlines()[-10:]
        except OSError:
            return ""
        return f"\n  stderr of {self.name}:\n    " + "\n    ".join(tail)

    # Registration.
    def register(
        self,
        server: str | Server,
        user: str,
        password: str | None = None,
        *,
        domain: str | None = None,
        transport: str = "udp",
        expires: int = 300,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """Registers and waits for the 200; raises with the server's answer if refused."""
        self.send(
            "register", **self._account(server, user, password, domain, transport), expires=expires
        )
        outcome = self.wait_registration(timeout)
        if outcome["event"] != "registered":
            raise PhoneError(f"{self.name}: {user} refused: {outcome['code']} {outcome['reason']}")
        return outcome

    def wait_registration(self, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        """The next ``registered`` or ``registration_failed``: for tests that expect a refusal."""
        return self.wait_event(("registered", "registration_failed"), timeout)

    def account_without_registration(
        self,
        server: str | Server,
        user: str,
        password: str | None = None,
        *,
        domain: str | None = None,
        transport: str = "udp",
    ) -> None:
        """Calls will go through ``server`` as ``user`` although the phone never registered."""
        self.send(
            "account_without_registration",
            **self._account(server, user, password, domain, transport),
        )

    def unregister(self, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        self.send("unregister")
        return self.wait_event("unregistered", timeout)

    @staticmethod
    def _account(
        server: str | Server, user: str, password: str | None, domain: str | None, transport: str
    ) -> dict[str, Any]:
        if not isinstance(server, str):
            domain = domain or server.domain
            password = password if password is not None else server.password(user)
            server = server.server
        if domain is None:
            raise ValueError("domain is needed when server is an address")
        return {
            "server": server,
            "user": user,
            "password": password,
            "domain": domain,
            "transport": transport,
        }

    # Calls.
    def call(self, uri: str, headers: dict[str, str] | None = None) -> int:
        return self.send("call", uri=uri, headers=headers or {})["call"]

    def answer(self, call: int, code: int = 200) -> None:
        self.send("answer", call=call, code=code)

    def reject(self, call: int, code: int = 486) -> None:
        self.send("reject", call=call, code=code)

    def hangup(self, call: int) -> None:
        self.send("hangup", call=call)

    def dtmf(self, call: int, digits: str) -> None:
        self.send("dtmf", call=call, digits=digits)

    def transfer(self, call: int, uri: str) -> None:
        self.send("transfer", call=call, uri=uri)

    def transfer_attended(self, call: int, to: int) -> None:
        self.send("transfer_attended", call=call, to=to)

    def hold(self, call: int) -> None:
        self.send("hold", call=call)

    def resume(self, call: int) -> None:
        self.send("resume", call=call)

    def move(self, call: int) -> None:
        """Re-INVITEs with audio from a new RTP port, as a handset changing base does."""
        self.send("move", call=call)

    def auto_ring(self, enabled: bool = True) -> None:
        """On by default, like a real phone: every incoming call gets 180 Ringing at once."""
        self.send("auto_ring", enabled=enabled)

    def info(self) -> dict[str, Any]:
        return self.send("info")

    def play(self, freq: int | None) -> None:
        """Plays a steady sine into every call from now on; ``None`` stops it."""
        self.send("play", freq=freq)

    def auto_answer(self, code: int | None = 200, delay: float = 0.0) -> None:
        """Answers every new incoming call with ``code`` after ``delay`` s; ``None`` stops it."""
        self.send("auto_answer", code=code, delay=delay)

    # Audio.
    def recording(self, call: int) -> dict[str, Any]:
        """The call's latest ``recording`` event: a new stream (a re-INVITE) starts a new file."""
        found = [e for e in self.events("recording") if e["call"] == call]
        if not found:
            raise PhoneError(f"{self.name}: call {call} has no media yet{self._recent()}")
        return found[-1]

    def recorded(
        self, call: int, since_t: float | None = None, *, last_s: float | None = None
    ) -> np.ndarray:
        """What the call heard, from ``since_t`` (a ``time.monotonic()``) on, or its last seconds.

        pjmedia buffers about 250 ms before writing, so the newest audio is
        always a little behind the clock.
        """
        rec = self.recording(call)
        since_s = None if since_t is None else max(0.0, since_t - rec["t"])
        samples = audio.read_samples(rec["path"], since_s)
        if last_s is not None:
            samples = samples[-round(last_s * audio.RATE) :]
        return samples

    def heard(
        self, freq: float, call: int, last_s: float = 1.0, *, since_t: float | None = None
    ) -> bool:
        """Whether ``freq`` is in the last ``last_s`` of what the call heard (after ``since_t``)."""
        return audio.has_tone(self.recorded(call, since_t, last_s=last_s), freq)

    def heard_tones(self, call: int, last_s: float = 1.0) -> list[tuple[float, float]]:
        """The loudest tones lately, for assertion messages."""
        return audio.dominant_tones(self.recorded(call, last_s=last_s))

    def wait_heard(
        self,
        freq: float,
        call: int,
        timeout: float = DEFAULT_TIMEOUT,
        *,
        last_s: float = HEARD_WINDOW_S,
        since_t: float | None = None,
    ) -> None:
        """Waits until the newest ``last_s`` of audio (after ``since_t``) carries ``freq``.

        A short ``last_s`` catches a short tone (a 200 ms congestion beep), a
        long one is surer of a steady tone.
        """
        need = round(last_s * audio.RATE)
        deadline = time.monotonic() + timeout * SCALE
        last: np.ndarray = np.zeros(0)
        while time.monotonic() < deadline:
            if self._has_media(call):
                last = self.recorded(call, since_t, last_s=last_s)
                if len(last) >= need and audio.has_tone(last, freq):
                    return
            with self._cond:
                self._cond.wait(0.05)
        raise PhoneError(
            f"{self.name}: did not hear {freq} Hz on call {call} within {timeout * SCALE:g} s; "
            f"lately {audio.dominant_tones(last)} at {audio.level_dbfs(last):.0f} dBFS"
            f"{self._recent()}"
        )

    def _has_media(self, call: int) -> bool:
        return any(e["call"] == call for e in self.events("recording"))

    # The end.
    @property
    def alive(self) -> bool:
        return self._proc.poll() is None

    def request_quit(self) -> None:
        """Asks the agent to quit without waiting, so several phones can wind down together."""
        if self._proc.poll() is None and self._proc.stdin is not None:
            try:
                self._write({"id": "quit", "cmd": "quit"})
                self._proc.stdin.close()
            except (OSError, ValueError):
                pass  # already gone or going: close() will see to it

    def close(self, timeout: float = 10.0) -> int:
        """Quits the agent (it hangs up and tears down), kills it if it hangs; returns its code.

        The code is 0 only if pjsua2 was torn down cleanly: a crash at exit shows
        as a negative signal number here rather than passing unnoticed.
        """
        self.request_quit()
        try:
            self._proc.wait(timeout * SCALE)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._reader.join(timeout=2)
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self._stderr.close()
        return self._proc.returncode

    def exit_report(self) -> str:
        """Why the agent ended as it did, for a fixture that checks every phone's exit."""
        return f"{self.name} exited with {self._proc.returncode}{self._stderr_tail()}"
