"""The engine's PromptPlayer, heard by a real SIP phone.

The player runs in ``tests.support.prompt_probe``, a minimal engine process of
its own (pjsua2 allows one Endpoint per process); a test phone calls it
directly, records what it hears, and ``tests.support.prompts`` recognises the
prompts in that recording.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from firmware.prompts import build as prompt_build
from tests.support import audio
from tests.support.phone import ROOT, SCALE, Phone
from tests.support.prompts import find_prompt, heard_prompt, heard_sequence, read_wav
from tests.support.wait import wait_until

pytestmark = pytest.mark.sip

Factory = Callable[[str], Phone]
NAMES = ["queue_position", "num_3", "num_13", "lines_busy_offer"]
FRAME_S = 0.02


class Probe:
    """A ``prompt_probe`` process and the events it printed; always ends at ``close``."""

    def __init__(self, files: list[Path], workdir: Path) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self._stderr = (workdir / "probe.stderr.log").open("wb")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "tests.support.prompt_probe", *map(str, files)],
            cwd=ROOT,
            env={"PROBE_WORKDIR": str(workdir), "PATH": "/usr/bin:/bin"},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        self.events: list[dict[str, Any]] = []
        self._cond = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.port: int = self.wait("ready")["port"]

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            with self._cond:
                self.events.append(json.loads(line))
                self._cond.notify_all()

    def wait(self, kind: str, timeout: float = 5.0) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            return next((e for e in self.events if e["event"] == kind), None)

        with self._cond:
            if not self._cond.wait_for(lambda: found() or self._proc.poll() is not None, timeout):
                raise AssertionError(f"probe: no {kind} within {timeout} s: {self.events}")
            event = found()
        if event is None:
            raise AssertionError(f"probe exited before {kind}: {self.events}")
        return event

    def has(self, kind: str) -> bool:
        with self._cond:
            return any(e["event"] == kind for e in self.events)

    def send(self, line: str) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.write(line + "\n")
        self._proc.stdin.flush()

    def close(self) -> int:
        """Asks the probe to quit, kills it if it hangs; returns its exit code."""
        if self._proc.poll() is None:
            try:
                self.send("quit")
                assert self._proc.stdin is not None
                self._proc.stdin.close()
            except OSError:
                pass
        try:
            self._proc.wait(10 * SCALE)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._reader.join(2)
        self._stderr.close()
        return self._proc.returncode


@pytest.fixture(scope="module")
def prompts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    outdir = tmp_path_factory.mktemp("prompts")
    prompt_build.build(outdir, languages=["en"], names=NAMES)
    return {name: outdir / "en" / f"{name}.wav" for name in NAMES}


@pytest.fixture
def probe_factory(tmp_path: Path) -> Iterator[Callable[[list[Path]], Probe]]:
    probes: list[Probe] = []

    def make(files: list[Path]) -> Probe:
        probe = Probe(files, tmp_path / f"probe{len(probes)}")
        probes.append(probe)
        return probe

    yield make
    codes = [probe.close() for probe in probes]
    assert codes == [0] * len(codes), f"a probe did not tear pjsua2 down cleanly: {codes}"


def seconds(path: Path) -> float:
    return len(read_wav(path)) / audio.RATE


def call_probe(phone: Phone, probe: Probe) -> int:
    call = phone.call(f"sip:probe@127.0.0.1:{probe.port}")
    phone.wait_state(call, "confirmed")
    return call


def test_a_sequence_is_heard_in_full_and_then_reported_done(
    phone_factory: Factory, probe_factory: Callable[[list[Path]], Probe], prompts: dict[str, Path]
) -> None:
    sequence = [prompts["queue_position"], prompts["num_3"]]
    probe = probe_factory(sequence)
    phone = phone_factory("caller")
    call = call_probe(phone, probe)
    playing = probe.wait("playing")
    done = probe.wait("done", timeout=(sum(map(seconds, sequence)) + 5) * SCALE)

    wait_until(
        lambda: heard_sequence(phone.recorded(call), sequence),
        timeout=5 * SCALE,
        what="the phone to hear 'you are caller number' 'three'",
    )
    heard = phone.recorded(call)
    assert not heard_prompt(heard, prompts["num_13"])
    assert not heard_prompt(heard, prompts["lines_busy_offer"])
    # Done only once the whole sequence had been played out, not when the files were read,
    # so after the phone had begun to hear the last prompt.
    assert done["t"] - playing["t"] >= sum(map(seconds, sequence)) - FRAME_S
    last_heard_at = phone.recording(call)["t"] + (find_prompt(heard, prompts["num_3"]) or 0)
    assert done["t"] > last_heard_at
    phone.hangup(call)
    probe.wait("ended")


def test_stop_silences_the_prompt_and_done_never_comes(
    phone_factory: Factory, probe_factory: Callable[[list[Path]], Probe], prompts: dict[str, Path]
) -> None:
    long = prompts["lines_busy_offer"]
    probe = probe_factory([long])
    phone = phone_factory("caller")
    call = call_probe(phone, probe)
    probe.wait("playing")
    wait_until(
        lambda: audio.level_dbfs(phone.recorded(call, last_s=0.5)) > -40,
        timeout=5 * SCALE,
        what="the prompt to be heard",
    )
    probe.send("stop")
    stopped = time.monotonic()
    # Silence from shortly after the stop, for longer than the rest of the prompt would last.
    wait_until(
        lambda: len(phone.recorded(call, stopped + 0.3)) >= seconds(long) * audio.RATE,
        timeout=(seconds(long) + 5) * SCALE,
        what="the phone to record past the prompt's end",
    )
    assert audio.level_dbfs(phone.recorded(call, stopped + 0.3)) < audio.SILENCE_DBFS
    assert not heard_prompt(phone.recorded(call), long)
    assert not probe.has("done")
    phone.hangup(call)
    probe.wait("ended")


def test_a_caller_hanging_up_mid_prompt_leaves_the_engine_sound(
    phone_factory: Factory, probe_factory: Callable[[list[Path]], Probe], prompts: dict[str, Path]
) -> None:
    probe = probe_factory([prompts["lines_busy_offer"], prompts["queue_position"]])
    phone = phone_factory("caller")
    call = call_probe(phone, probe)
    probe.wait("playing")
    phone.hangup(call)
    probe.wait("ended")
    assert not probe.has("done")
    # The probe's fixture asserts it then tears pjsua2 down with exit code 0.


def test_a_file_that_cannot_be_played_is_skipped_and_the_flow_goes_on(
    phone_factory: Factory,
    probe_factory: Callable[[list[Path]], Probe],
    prompts: dict[str, Path],
    tmp_path: Path,
) -> None:
    probe = probe_factory([tmp_path / "gone.wav", prompts["num_3"]])
    phone = phone_factory("caller")
    call = call_probe(phone, probe)
    probe.wait("done", timeout=5 * SCALE)
    wait_until(
        lambda: heard_prompt(phone.recorded(call), prompts["num_3"]),
        timeout=5 * SCALE,
        what="the phone to hear 'three'",
    )
    phone.hangup(call)
    probe.wait("ended")
