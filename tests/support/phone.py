"""The test's side of a phone: start the agent process, send commands, wait for events.

Waiting is always for a condition (an event, a tone in the recording) with a
deadline; nothing sleeps for a fixed time hoping something happened.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from tests.support import audio

#: Scales every default timeout, for slow machines: MINIPBX_TEST_TIMEOUT=2 doubles them.
SCALE = float(os.environ.get("MINIPBX_TEST_TIMEOUT", "1"))
ROOT = Path(__file__).resolve().parents[2]


class PhoneError(AssertionError):
    pass


class Phone:
    def __init__(self, name: str, workdir: Path) -> None:
        self.name = name
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self._events: list[dict[str, Any]] = []
        self._consumed: set[int] = set()
        self._replies: dict[Any, dict[str, Any]] = {}
        self._cond = threading.Condition()
        self._next_id = 0
        self._stderr = (workdir / f"{name}.stderr").open("wb")
        self._proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.support.phone_agent",
                "--name",
                name,
                "--workdir",
                str(workdir),
            ],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            bufsize=1,
        )
        threading.Thread(target=self._read, daemon=True).start()
        self.port = self.wait_event("ready", timeout=15)["port"]

    def __enter__(self) -> Phone:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Phone {self.name}>"

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            message = json.loads(line)
            with self._cond:
                if "reply" in message:
                    self._replies[message["reply"]] = message
                else:
                    self._events.append(message)
                self._cond.notify_all()
        with self._cond:
            self._replies["eof"] = {"ok": False, "error": "phone agent exited"}
            self._cond.notify_all()

    def send(self, cmd: str, timeout: float = 10, **args: Any) -> dict[str, Any]:
        with self._cond:
            self._next_id += 1
            ident = self._next_id
        assert self._proc.stdin is not None
        self._proc.stdin.write(json.dumps({"id": ident, "cmd": cmd, **args}) + "\n")
        self._proc.stdin.flush()
        with self._cond:
            if not self._cond.wait_for(
                lambda: ident in self._replies or "eof" in self._replies, timeout * SCALE
            ):
                raise PhoneError(f"{self.name}: no reply to {cmd}")
            reply = self._replies.pop(ident, None) or self._replies["eof"]
        if not reply["ok"]:
            raise PhoneError(f"{self.name}: {cmd} failed: {reply['error']}")
        return reply

    # Events.
    def wait_event(self, kind: str, timeout: float = 5, **match: Any) -> dict[str, Any]:
        """The first event of ``kind`` matching ``match`` that no earlier wait returned."""

        def find() -> dict[str, Any] | None:
            for index, ev in enumerate(self._events):
                if index in self._consumed or ev["event"] != kind:
                    continue
                if all(ev.get(k) == v for k, v in match.items()):
                    self._consumed.add(index)
                    return ev
            return None

        deadline = time.monotonic() + timeout * SCALE
        with self._cond:
            while (found := find()) is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    recent = "\n  ".join(json.dumps(e) for e in self._events[-12:])
                    raise PhoneError(
                        f"{self.name}: no {kind} {match} within {timeout} s; recent:\n  {recent}"
                    )
                self._cond.wait(remaining)
        return found

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        with self._cond:
            return [e for e in self._events if kind is None or e["event"] == kind]

    def wait_state(self, call: int, state: str, timeout: float = 5) -> dict[str, Any]:
        return self.wait_event("call_state", timeout, call=call, state=state)

    # Commands.
    def register(self, box: Any, user: str, password: str | None = None, **opts: Any) -> None:
        """Registers through ``box`` and waits for the outcome; raises if refused."""
        self.send(
            "register",
            server=box.server,
            user=user,
            password=password or box.password(user),
            domain=box.domain,
            **opts,
        )
        self.wait_event("registered", timeout=5)

    def call(self, uri: str) -> int:
        return self.send("call", uri=uri)["call"]

    def answer(self, call: int, code: int = 200) -> None:
        self.send("answer", call=call, code=code)

    def reject(self, call: int, code: int = 486) -> None:
        self.send("reject", call=call, code=code)

    def hangup(self, call: int) -> None:
        self.send("hangup", call=call)

    def dtmf(self, call: int, digits: str) -> None:
        self.send("dtmf", call=call, digits=digits)

    def play(self, freq: int | None) -> None:
        self.send("play", freq=freq)

    def auto_answer(self, code: int | None = 200, delay: float = 0.0) -> None:
        self.send("auto_answer", code=code, delay=delay)

    # Audio.
    def recording(self, call: int) -> Path:
        paths = [e["path"] for e in self.events("recording") if e["call"] == call]
        if not paths:
            raise PhoneError(f"{self.name}: call {call} has no media yet")
        return Path(paths[-1])

    def recorded(self, call: int, last_s: float | None = None) -> np.ndarray:
        samples = audio.read_samples(self.recording(call))
        if last_s is not None:
            samples = samples[-int(last_s * audio.RATE) :]
        return samples

    def heard(self, freq: float, call: int, last_s: float = 0.5) -> bool:
        return audio.has_tone(self.recorded(call, last_s), freq)

    def wait_heard(self, freq: float, call: int, timeout: float = 5, last_s: float = 0.4) -> None:
        """Waits until the last ``last_s`` of the call's audio carry ``freq``."""
        deadline = time.monotonic() + timeout * SCALE
        while time.monotonic() < deadline:
            try:
                if self.heard(freq, call, last_s):
                    return
            except PhoneError:
                pass
            with self._cond:
                self._cond.wait(0.05)
        raise PhoneError(f"{self.name}: did not hear {freq} Hz on call {call} within {timeout} s")

    def close(self) -> None:
        if self._proc.poll() is None:
            try:
                assert self._proc.stdin is not None
                self._proc.stdin.write(json.dumps({"id": "quit", "cmd": "quit"}) + "\n")
                self._proc.stdin.flush()
                self._proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self._proc.kill()
                self._proc.wait()
        self._stderr.close()
