"""Line-in for hold music: live while there is sound, fallen back after the set silence.

The simulated line-in plays a WAV file in on the test's clock; the decision is
counted in the audio received, so the test sees exactly when it switches.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from drivers.line_in import RESUME_SECONDS, LineInMonitor, WavLineIn
from drivers.paging import BLOCK_SECONDS
from firmware.engine.loop import EngineLoop
from tests.support.audio import has_tone
from tests.support.fake_leg import Clock

RATE = 16000
RADIO = 500.0


def tone(seconds: float, level: float = 0.3) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return (np.sin(2 * np.pi * RADIO * t) * level * 32767).astype(np.int16)


def monitor() -> LineInMonitor:
    return LineInMonitor(samplerate=RATE, out_rate=8000, silence_dbfs=-50, silence_seconds=3)


def feed(line: LineInMonitor, audio: np.ndarray) -> list[bool]:
    """The decision after each 0.1 s block."""
    size = round(BLOCK_SECONDS * RATE)
    seen = []
    for start in range(0, len(audio), size):
        line.feed(audio[start : start + size])
        seen.append(line.live)
    return seen


def test_the_line_is_live_after_a_second_of_sound_and_falls_back_after_the_silence() -> None:
    line = monitor()
    assert feed(line, tone(RESUME_SECONDS - 0.1)) == [False] * 9
    assert feed(line, tone(0.1)) == [True]
    quiet = feed(line, np.zeros(round(3.0 * RATE), dtype=np.int16))
    assert quiet == [True] * 29 + [False]  # falls back on the 3rd second of silence exactly
    whisper = feed(line, tone(2.0, level=0.001))  # -63 dBFS: a hiss is no music
    assert whisper == [False] * 20
    assert feed(line, tone(1.0)) == [False] * 9 + [True]


def test_a_short_pause_does_not_switch_the_music() -> None:
    line = monitor()
    feed(line, tone(2.0))
    feed(line, np.zeros(round(2.9 * RATE), dtype=np.int16))
    assert line.live
    feed(line, tone(0.1))
    feed(line, np.zeros(round(2.9 * RATE), dtype=np.int16))
    assert line.live  # the silence counts from its last break


def test_what_the_line_brings_is_read_at_the_media_rate_and_silence_when_none() -> None:
    line = monitor()
    feed(line, tone(0.5))
    heard = line.read(4000) / 32768.0
    assert has_tone(heard, RADIO, rate=8000)
    assert not line.read(160).any()  # nothing more arrived: silence


def test_the_simulated_line_in_plays_its_wav_once_it_appears_then_goes_quiet(
    tmp_path: Path,
) -> None:
    clock = Clock()
    loop = EngineLoop(lambda ms: None, clock=clock)
    line = monitor()
    path = tmp_path / "line_in.wav"
    source = WavLineIn(path, RATE, loop)
    source.start(line.feed)

    def run(seconds: float) -> None:
        for _ in range(round(seconds / BLOCK_SECONDS)):
            clock.now += BLOCK_SECONDS
            loop.run_once()

    run(2.0)
    assert not line.live  # no file yet: a silent line
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(tone(4.0).tobytes())
    run(1.1)
    assert line.live
    run(2.8)
    assert line.live
    run(3.2)  # 4 s of radio, then 3 s of silence
    assert not line.live
    source.close()
