"""The tests' ears: tone detection and cadence measurement on synthetic signals."""

from __future__ import annotations

import numpy as np

from tests.support import audio


def sine(freq: float, seconds: float, level: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * audio.RATE)) / audio.RATE
    return level * 32767 * np.sin(2 * np.pi * freq * t)


def test_a_tone_is_found_and_others_are_not() -> None:
    samples = sine(700, 0.4)
    assert audio.has_tone(samples, 700)
    assert not audio.has_tone(samples, 1100)
    assert not audio.has_tone(samples, 425)


def test_two_mixed_tones_are_both_found() -> None:
    samples = sine(700, 0.4) + sine(1100, 0.4)
    assert audio.has_tone(samples, 700) and audio.has_tone(samples, 1100)
    assert not audio.has_tone(samples, 1700)


def test_silence_and_noise_are_no_tone() -> None:
    rng = np.random.default_rng(1)
    assert not audio.has_tone(np.zeros(3200), 700)
    assert not audio.has_tone(rng.normal(0, 3000, 3200), 700)


def test_a_very_quiet_tone_is_not_heard() -> None:
    assert not audio.has_tone(sine(700, 0.4, level=0.0001), 700)


def test_cadence_of_russian_ringback() -> None:
    period = np.concatenate([sine(425, 0.8), np.zeros(int(3.2 * audio.RATE))])
    samples = np.concatenate([np.zeros(800), period, period, sine(425, 0.3)])
    runs = audio.cadence(samples, 425)
    assert [on for on, _ in runs] == [True, False, True, False]
    for (on, ms), want in zip(runs, [800, 3200, 800, 3200], strict=True):
        assert abs(ms - want) <= 40, (on, ms, want)
