"""baresip as a test phone that is not pjsua2, driven through its ctrl_tcp module.

The test writes the whole configuration: SIP and the control port on
127.0.0.1 and free ports, audio from a WAV tone (the aufile module) so no
sound card is needed, what each call decoded dumped to a WAV (the sndfile
module), calls answered by themselves. Commands and events are JSON objects
framed as netstrings on the control connection; events are kept in order so a
test can wait for one (``CALL_ESTABLISHED``, ``CALL_CLOSED``...). ``close``
always ends the process.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import threading
import wave
from pathlib import Path
from typing import Any

import numpy as np

from tests.support import audio
from tests.support.net import free_port
from tests.support.phone import SCALE, Server
from tests.support.wait import wait_until

MODULES = Path("/usr/lib/baresip/modules")
DEFAULT_TIMEOUT = 10.0


def baresip() -> str:
    found = shutil.which("baresip")
    assert found, "baresip is missing: ./build.sh setup installs baresip-core"
    return found


def tone_wav(path: Path, freq: int, seconds: int = 120) -> Path:
    """An 8 kHz 16-bit mono tone, the format aufile sends with G.711."""
    subprocess.run(
        ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(path)]
        + ["synth", str(seconds), "sine", str(freq), "vol", "0.5"],
        check=True,
    )
    return path


class Baresip:
    """One baresip process registered as an extension of a box, sending a tone."""

    def __init__(self, workdir: Path, *, server: Server, number: str, tone: int) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.number = number
        self.aor = f"sip:{number}@{server.domain}"
        self._events: list[dict[str, Any]] = []
        self._consumed: set[int] = set()
        self._responses: dict[str, dict[str, Any]] = {}
        self._cond = threading.Condition()
        self._tokens = 0
        self._sock: socket.socket | None = None
        self._write(server, number, tone_wav(workdir / f"tone{tone}.wav", tone))
        self._log = (workdir / "baresip.log").open("wb")
        self._proc = subprocess.Popen(
            [baresip(), "-f", str(workdir), "-4"],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            self._sock = wait_until(self._connect, timeout=10, what="baresip's control port")[0]
            self._sock.settimeout(None)
            self._reader = threading.Thread(target=self._read, name="baresip", daemon=True)
            self._reader.start()
            # Made through the control port, so that its registration is heard there.
            made = self.command("uanew", self._account)
            assert made["ok"], f"baresip refused the account: {made}"
            self.wait_event("REGISTER_OK")
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Baresip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, server: Server, number: str, tone: Path) -> None:
        self.ctrl_port = free_port("tcp")
        self.sip_port = free_port()
        rtp = free_port()
        (self.workdir / "config").write_text(
            "\n".join(
                [
                    "poll_method epoll",
                    "net_interface 127.0.0.1",
                    f"sip_listen 127.0.0.1:{self.sip_port}",
                    f"audio_source aufile,{tone}",
                    "audio_player aufile,/dev/null",
                    "audio_alert aufile,/dev/null",
                    "ausrc_srate 8000",
                    "ausrc_channels 1",
                    f"rtp_ports {rtp}-{rtp + 9}",  # a call rung back needs ports of its own
                    f"module_path {MODULES}",
                    "module g711.so",
                    "module aufile.so",
                    "module sndfile.so",
                    f"snd_path {self.workdir}",
                    "module_app account.so",
                    "module_app menu.so",
                    "module_app ctrl_tcp.so",
                    f"ctrl_tcp_listen 127.0.0.1:{self.ctrl_port}",
                    "",
                ]
            )
        )
        self._account = (
            f"<{self.aor}>;auth_pass={server.password(number)}"
            f';outbound="sip:{server.server};transport=udp";regint=600'
            ";answermode=auto;audio_codecs=PCMA,PCMU"
        )
        (self.workdir / "accounts").write_text("")
        (self.workdir / "contacts").write_text("")

    def _connect(self) -> tuple[socket.socket] | None:  # None: not listening yet
        if self._proc.poll() is not None:
            raise AssertionError(f"baresip exited {self._proc.returncode}: {self.log_tail()}")
        try:
            return (socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=1),)
        except OSError:
            return None

    def _read(self) -> None:
        """Netstrings (``<length>:<json>,``) until the connection closes."""
        buffer = b""
        while chunk := self._recv():
            buffer += chunk
            while (colon := buffer.find(b":")) > 0 and len(buffer) > colon + int(buffer[:colon]):
                length = int(buffer[:colon])
                message = json.loads(buffer[colon + 1 : colon + 1 + length])
                buffer = buffer[colon + 2 + length :]
                with self._cond:
                    if message.get("response"):
                        self._responses[message.get("token", "")] = message
                    else:
                        self._events.append(message)
                    self._cond.notify_all()

    def _recv(self) -> bytes:
        assert self._sock is not None
        try:
            return self._sock.recv(65536)
        except OSError:
            return b""

    def _send(self, message: dict[str, str]) -> None:
        assert self._sock is not None
        body = json.dumps(message).encode()
        self._sock.sendall(str(len(body)).encode() + b":" + body + b",")

    def command(self, name: str, params: str = "") -> dict[str, Any]:
        """Runs a baresip command (``transfer``, ``hangup``...) and returns its response."""
        with self._cond:
            self._tokens += 1
            token = str(self._tokens)
        self._send({"command": name, "params": params, "token": token})
        with self._cond:
            if not self._cond.wait_for(lambda: token in self._responses, DEFAULT_TIMEOUT * SCALE):
                raise AssertionError(f"baresip did not answer {name}: {self.log_tail()}")
            return self._responses.pop(token)

    def transfer(self, uri: str) -> None:
        """The transfer key on the call under way: a REFER naming ``uri``."""
        done = self.command("transfer", uri)
        assert done["ok"], f"baresip could not transfer: {done}"

    def heard(self) -> np.ndarray:
        """What baresip decoded in its last call, once that call is over: sndfile completes
        the dump's WAV header when the call's audio goes."""

        def complete() -> tuple[bytes] | None:
            dumps = sorted(self.workdir.glob("dump-*-dec.wav"))
            if not dumps:
                return None
            with wave.open(str(dumps[-1])) as dump:
                frames = dump.readframes(dump.getnframes())
            return (frames,) if frames else None

        frames = wait_until(complete, timeout=5, what="baresip's dump of its call")[0]
        return np.frombuffer(frames, dtype="<i2").astype(np.float64) / audio.FULL_SCALE

    def idle(self) -> bool:
        """No call under way, as baresip's own call list (its menu's text) shows."""
        return "Active calls (0)" in str(self.command("listcalls")["data"])

    def wait_event(self, kind: str, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        """The first event of ``kind`` not waited for yet."""

        def find() -> dict[str, Any] | None:
            for index, event in enumerate(self._events):
                if index not in self._consumed and event.get("type") == kind:
                    self._consumed.add(index)
                    return event
            return None

        with self._cond:
            found = self._cond.wait_for(find, timeout * SCALE)
        if found is None:
            seen = [e.get("type") for e in self._events]
            raise AssertionError(f"baresip: no {kind} in {timeout} s; saw {seen}{self.log_tail()}")
        return found

    def events(self, kind: str) -> list[dict[str, Any]]:
        with self._cond:
            return [e for e in self._events if e.get("type") == kind]

    def log_tail(self) -> str:
        self._log.flush()
        text = (self.workdir / "baresip.log").read_text(errors="replace")
        return "\n--- baresip log ---\n" + "\n".join(text.splitlines()[-40:])

    def alive(self) -> bool:
        return self._proc.poll() is None

    def close(self, timeout: float = 5.0) -> None:
        """Asks baresip to quit, then kills it if it lingers: no process stays."""
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._send({"command": "quit", "params": "", "token": "quit"})
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        if self._sock is not None:
            self._sock.close()
        self._log.close()
