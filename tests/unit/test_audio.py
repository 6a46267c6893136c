"""The tone detector the call tests rely on, checked on signals whose answer is known."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from tests.support.audio import (
    RATE,
    cadence,
    dominant_tones,
    has_tone,
    level_dbfs,
    periods,
    read_samples,
    tone_power,
)

#: pjsua2's ToneGenerator default level, as a phone's tone arrives after G.711.
AMPLITUDE = 12288 / 32768


def sine(freq: float, seconds: float, amplitude: float = AMPLITUDE) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return amplitude * np.sin(2 * np.pi * freq * t + 0.3)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(round(seconds * RATE))


def interrupted(freq: float, on_ms: int, off_ms: int, periods: int, lead_ms: int) -> np.ndarray:
    period = np.concatenate([sine(freq, on_ms / 1000), silence(off_ms / 1000)])
    return np.concatenate([silence(lead_ms / 1000), *[period] * periods])


def test_a_sine_is_its_own_tone_and_no_other() -> None:
    heard = sine(700, 0.4)
    assert has_tone(heard, 700)
    assert not has_tone(heard, 1100)
    assert not has_tone(heard, 1700)


def test_tone_power_reads_as_the_sines_mean_square() -> None:
    assert tone_power(sine(700, 1.0), 700) == pytest.approx(AMPLITUDE**2 / 2, rel=0.02)


def test_a_tone_a_few_hertz_off_still_counts() -> None:
    assert has_tone(sine(704, 0.4), 700)


def test_noise_and_silence_are_no_tone() -> None:
    noise = np.random.default_rng(7).normal(0, 0.1, RATE)
    assert level_dbfs(noise) > -30
    for freq in (425, 700, 1100):
        assert not has_tone(noise, freq)
        assert not has_tone(silence(1.0), freq)
    assert dominant_tones(noise) == []
    assert dominant_tones(silence(1.0)) == []


def test_a_whisper_of_the_right_tone_is_silence() -> None:
    assert not has_tone(sine(700, 0.4, amplitude=1e-4), 700)


def test_two_mixed_tones_are_both_found() -> None:
    heard = sine(700, 1.0, amplitude=AMPLITUDE / 2) + sine(1100, 1.0, amplitude=AMPLITUDE / 2)
    assert has_tone(heard, 700) and has_tone(heard, 1100)
    assert not has_tone(heard, 1700)
    tones = dominant_tones(heard)
    assert [round(freq, -1) for freq, _ in tones] in ([700, 1100], [1100, 700])
    assert all(share == pytest.approx(0.5, abs=0.05) for _, share in tones)


def test_russian_ringback_cadence_is_measured_within_a_frame_or_two() -> None:
    heard = interrupted(425, 800, 3200, periods=3, lead_ms=530)
    pairs = periods(heard, 425)
    assert len(pairs) == 2
    for on_ms, off_ms in pairs:
        assert on_ms == pytest.approx(800, abs=40)
        assert off_ms == pytest.approx(3200, abs=40)


def test_busy_cadence_is_measured_and_another_frequency_has_none() -> None:
    heard = interrupted(400, 400, 400, periods=5, lead_ms=90)
    pairs = periods(heard, 400)
    assert len(pairs) == 4
    assert all(abs(on - 400) <= 40 and abs(off - 400) <= 40 for on, off in pairs)
    assert periods(heard, 1100) == []


def test_cadence_lists_whole_runs_only() -> None:
    heard = interrupted(425, 800, 3200, periods=2, lead_ms=500)
    runs = cadence(heard, 425)
    assert [sounding for sounding, _ in runs] == [True, False, True]
    assert [ms for _, ms in runs] == pytest.approx([800, 3200, 800], abs=40)


def test_a_lost_frame_does_not_split_a_tone() -> None:
    heard = interrupted(425, 800, 3200, periods=3, lead_ms=500)
    start = round(4.5 * RATE + 0.3 * RATE)
    heard[start : start + 160] = 0
    assert len(periods(heard, 425)) == 2


def write_unfinished_wav(path: Path, samples: np.ndarray) -> None:
    """A WAV as pjmedia leaves it mid-call: sizes still 0, last sample half written."""
    header = b"RIFF" + struct.pack("<I", 0) + b"WAVEfmt "
    header += struct.pack("<IHHIIHH", 16, 1, 1, RATE, RATE * 2, 2, 16)
    header += b"data" + struct.pack("<I", 0)
    data = (samples * 32768).astype("<i2").tobytes()
    path.write_bytes(header + data + data[:1])


def test_a_wav_still_being_written_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "call.wav"
    write_unfinished_wav(path, np.concatenate([silence(1.0), sine(1100, 0.5)]))
    assert len(read_samples(path)) == 1.5 * RATE
    later = read_samples(path, since_s=1.0)
    assert len(later) == 0.5 * RATE
    assert has_tone(later, 1100)
    assert not has_tone(read_samples(path)[:RATE], 1100)


def test_a_wav_with_only_part_of_its_header_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "new.wav"
    path.write_bytes(b"RIFF\0\0")
    assert len(read_samples(path)) == 0
    assert not has_tone(read_samples(path), 700)


def test_cadence_starting_mid_silence_and_ending_mid_tone() -> None:
    period = np.concatenate([sine(425, 0.8), silence(3.2)])
    heard = np.concatenate([silence(0.1), period, period, sine(425, 0.3)])
    runs = cadence(heard, 425)
    assert [sounding for sounding, _ in runs] == [True, False, True, False]
    assert [ms for _, ms in runs] == pytest.approx([800, 3200, 800, 3200], abs=40)
