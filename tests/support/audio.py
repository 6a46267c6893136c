"""Listening to what a test phone heard: which tones, and with what cadence.

Every call test proves audio by tones: each side plays its own frequency and
must detect the other's. The power at one frequency (a single DFT term, what
Goertzel computes) compared with the window's whole energy tells a tone from
noise, speech or silence.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

RATE = 8000
_HEADER = 44


def read_samples(path: Path, *, rate: int = RATE) -> np.ndarray:
    """Samples of a WAV that may still be written: its header sizes are not trusted."""
    data = path.read_bytes()[_HEADER:]
    data = data[: len(data) - len(data) % 2]
    return np.frombuffer(data, dtype="<i2").astype(np.float64)


def tone_power(samples: np.ndarray, freq: float, *, rate: int = RATE) -> float:
    """Power at ``freq`` (one DFT term, as Goertzel computes it); a full-scale sine gives ~1."""
    n = len(samples)
    if n == 0:
        return 0.0
    phase = np.exp(-2j * np.pi * freq * np.arange(n) / rate)
    term = np.dot(samples / 32768.0, phase)
    return float(abs(term) ** 2 / (n / 2) ** 2)


def energy(samples: np.ndarray) -> float:
    """Mean power on the same scale as ``tone_power``: a full-scale sine gives ~0.5."""
    if len(samples) == 0:
        return 0.0
    return float(np.mean((samples / 32768.0) ** 2))


def share(samples: np.ndarray, freq: float, *, rate: int = RATE) -> float:
    """The part of the window's energy that is at ``freq`` (0..1)."""
    total = energy(samples)
    if total == 0:
        return 0.0
    return min(1.0, tone_power(samples, freq, rate=rate) / (2 * total))


def has_tone(
    samples: np.ndarray,
    freq: float,
    *,
    min_share: float = 0.3,
    min_level: float = 1e-5,
    rate: int = RATE,
) -> bool:
    """True when ``freq`` is clearly present: loud enough and a good part of what is heard."""
    return energy(samples) >= min_level and share(samples, freq, rate=rate) >= min_share


def cadence(
    samples: np.ndarray, freq: float, *, frame_ms: int = 20, rate: int = RATE
) -> list[tuple[bool, int]]:
    """An interrupted tone as runs of (sounding, ms); the cut first and last runs are left out."""
    step = rate * frame_ms // 1000
    runs: list[tuple[bool, int]] = []
    for i in range(0, len(samples) - step + 1, step):
        sounding = has_tone(samples[i : i + step], freq, min_share=0.5)
        if runs and runs[-1][0] == sounding:
            runs[-1] = (sounding, runs[-1][1] + frame_ms)
        else:
            runs.append((sounding, frame_ms))
    return runs[1:-1]
