"""Listening to what a test phone heard: which tones, and with what cadence.

A call test proves audio by tones: each side plays its own frequency and must
detect the other's. The power at one frequency, which is what the Goertzel
algorithm computes, set against the window's whole energy tells a tone apart
from noise, speech and silence, and needs no FFT size to be chosen per tone.

Samples are floats scaled so that full scale is 1.0, which makes the levels
below read as dBFS.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

RATE = 8000
#: pjmedia writes the canonical 44-byte header first and its sizes only on close.
HEADER_BYTES = 44
FULL_SCALE = 32768.0
#: Quieter than this is silence, whatever its spectrum: G.711 idle noise stays far below.
SILENCE_DBFS = -50.0
#: Frames short enough to be cheap, long enough (20 Hz resolution) to keep 700/1100/1700 apart,
#: and wide enough to accept a tone a few hertz off.
TONE_FRAME_MS = 50


def read_samples(path: Path | str, since_s: float | None = None, *, rate: int = RATE) -> np.ndarray:
    """The samples of a 16-bit mono WAV, even one still being written.

    pjmedia fills in the header's sizes only when the recorder closes, so they
    are 0 while a call goes on: everything after the header is taken as data,
    and a half-written last sample is dropped. ``since_s`` skips the first
    seconds of the recording.
    """
    data = Path(path).read_bytes()[HEADER_BYTES:]
    start = 0 if since_s is None else max(0, round(since_s * rate)) * 2
    data = data[start : len(data) - len(data) % 2]
    return np.frombuffer(data, dtype="<i2").astype(np.float64) / FULL_SCALE


def level_dbfs(samples: np.ndarray) -> float:
    """RMS level; -inf for an empty or all-zero window."""
    power = float(np.mean(samples**2)) if len(samples) else 0.0
    return 10 * math.log10(power) if power > 0 else -math.inf


def _frames(samples: np.ndarray, frame_len: int) -> np.ndarray:
    """Whole frames as rows; a window shorter than one frame is one short frame."""
    count = len(samples) // frame_len
    if count == 0:
        return samples[np.newaxis, :]
    return samples[: count * frame_len].reshape(count, frame_len)


def goertzel(frames: np.ndarray, freq: float, *, rate: int = RATE) -> np.ndarray:
    """Power at ``freq`` in each row, scaled like a mean square (a sine of amplitude A gives A²/2).

    The recurrence runs along the samples for all frames at once, so a long
    recording costs one short loop.
    """
    n = frames.shape[1]
    if n == 0:
        return np.zeros(frames.shape[0])
    w = 2 * math.pi * freq / rate
    coeff = 2 * math.cos(w)
    s1 = np.zeros(frames.shape[0])
    s2 = np.zeros(frames.shape[0])
    for column in frames.T:
        s1, s2 = column + coeff * s1 - s2, s1
    magnitude2 = s1**2 + s2**2 - coeff * s1 * s2
    return 2 * magnitude2 / n**2


def tone_power(
    samples: np.ndarray, freq: float, *, rate: int = RATE, frame_ms: int = TONE_FRAME_MS
) -> float:
    """Mean power at ``freq`` over the window, on the same scale as the window's mean square."""
    if len(samples) == 0:
        return 0.0
    frames = _frames(samples, rate * frame_ms // 1000)
    return float(np.mean(goertzel(frames, freq, rate=rate)))


def tone_share(samples: np.ndarray, freq: float, *, rate: int = RATE) -> float:
    """How much of what was heard is at ``freq``: 1.0 for that tone alone, ~0 for noise."""
    frames = _frames(samples, rate * TONE_FRAME_MS // 1000)
    energy = float(np.mean(frames**2)) if frames.size else 0.0
    if energy == 0:
        return 0.0
    return min(1.0, float(np.mean(goertzel(frames, freq, rate=rate))) / energy)


def has_tone(
    samples: np.ndarray,
    freq: float,
    *,
    min_ratio: float = 0.3,
    min_dbfs: float = SILENCE_DBFS,
    rate: int = RATE,
) -> bool:
    """True when ``freq`` is a good part of a window that is not silence.

    A share rather than an absolute power, so that a loud call with the wrong
    tone fails and a quiet one with the right tone passes; 0.3 leaves room for
    two or three parties mixed in a conference.
    """
    return level_dbfs(samples) >= min_dbfs and tone_share(samples, freq, rate=rate) >= min_ratio


def dominant_tones(
    samples: np.ndarray, *, rate: int = RATE, count: int = 3, min_ratio: float = 0.05
) -> list[tuple[float, float]]:
    """The strongest tones as (Hz, share), loudest first: what an assertion message should show.

    Averaged spectra of 100 ms Hann-windowed frames (10 Hz bins); a peak's
    share is the energy of its main lobe, its frequency the lobe's centroid.
    """
    if len(samples) == 0 or level_dbfs(samples) < SILENCE_DBFS:
        return []
    frame_len = min(len(samples), rate // 10)
    frames = _frames(samples, frame_len) * np.hanning(frame_len)
    spectrum = np.mean(np.abs(np.fft.rfft(frames, axis=1)) ** 2, axis=0)
    total = float(spectrum.sum())
    freqs = np.fft.rfftfreq(frame_len, 1 / rate)
    peaks = [
        i
        for i in range(1, len(spectrum) - 1)
        if spectrum[i] >= spectrum[i - 1] and spectrum[i] > spectrum[i + 1]
    ]
    tones = []
    for i in peaks:
        lobe = slice(max(0, i - 2), i + 3)
        power = float(spectrum[lobe].sum())
        if power / total >= min_ratio:
            centroid = float(np.dot(freqs[lobe], spectrum[lobe]) / power)
            tones.append((round(centroid, 1), power / total))
    return sorted(tones, key=lambda tone: -tone[1])[:count]


def cadence(
    samples: np.ndarray,
    freq: float,
    frame_ms: int = 20,
    *,
    rate: int = RATE,
    min_dbfs: float = SILENCE_DBFS,
) -> list[tuple[bool, int]]:
    """An interrupted tone as whole runs of (sounding, ms), in order.

    A frame counts as sounding when the tone fills at least half of it: for a
    tone over silence the share equals the part of the frame the tone fills,
    so the measure leans neither to on nor to off and errs by at most a frame
    at each edge. Single stray frames (a lost packet) are smoothed out. The
    runs cut by the start and end of the window are of unknown length and are
    left out, so record one period more than you want to measure.
    """
    frame_len = rate * frame_ms // 1000
    frames = _frames(samples, frame_len)
    if frames.shape[1] < frame_len:
        return []
    energy = np.mean(frames**2, axis=1)
    on = (energy >= 10 ** (min_dbfs / 10)) & (goertzel(frames, freq, rate=rate) >= 0.5 * energy)
    if len(on) >= 3:
        votes = on[:-2].astype(int) + on[1:-1] + on[2:]
        on = np.concatenate([on[:1], votes >= 2, on[-1:]])
    runs: list[tuple[bool, int]] = []
    for sounding in on.tolist():
        if runs and runs[-1][0] == sounding:
            runs[-1] = (sounding, runs[-1][1] + frame_ms)
        else:
            runs.append((sounding, frame_ms))
    return runs[1:-1]


def periods(samples: np.ndarray, freq: float, frame_ms: int = 20) -> list[tuple[int, int]]:
    """The same pattern as (on_ms, off_ms) pairs, the way tone plans are written (800/3200)."""
    runs = cadence(samples, freq, frame_ms)
    if runs and not runs[0][0]:
        runs = runs[1:]
    return [(runs[i][1], runs[i + 1][1]) for i in range(0, len(runs) - 1, 2)]
