"""Recognising a voice prompt in what a test phone heard.

Speech has no tone to detect, but a prompt is a known waveform, so the test
looks for that waveform in the recording by normalised cross-correlation. On
its way the prompt went through G.711 A-law (about 38 dB SNR: a correlation of
0.999 with the original) and a jitter buffer, which may drop or insert a 20 ms
frame and so shift everything after it by a frame. So:

1. 250 ms chunks of the prompt are each looked for in the whole recording;
   where each is found best, moved back by its offset, is a possible start.
2. From each start, the prompt is followed frame by frame (Viterbi over
   shifts of whole frames), and scored as the normalised correlation of the
   whole prompt, pauses included, with the frames it was heard in.

Pauses count: sound where the prompt is silent ("-teen" after "three") lowers
the score, and so does any part not heard (a prompt cut short). The prompt must
be heard on its own; another sound mixed into it lowers the score too.

``MIN_SCORE`` comes from measuring every built prompt (ru, de, en) through
sox's A-law against every other prompt of its language, tones and noise:

- the right prompt: 1.00 through A-law and through a real call; 0.85 or more
  with a frame lost or inserted anywhere (the worst case is a loud frame of a
  one-word prompt), 0.80 with three frames lost within one word;
- another prompt: 0.73 at most (пятнадцать in шестнадцать), except where the
  words are really in it: семь in the voicemail menu 0.84, "three" in "...a
  line is free" 0.82. Look for a number where it belongs (``heard_sequence``);
- tones, noise, silence: 0.23 at most.
"""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import numpy as np

from firmware.prompts import BUILT_DIR
from tests.support.wait import wait_until

RATE = 8000
#: Chunks that find the start: long enough to be unlike other speech, short enough that a
#: lost frame spoils few of them.
CHUNK_S = 0.25
#: pjmedia's frame (20 ms): a jitter buffer drops or repeats whole frames, and the prompt
#: played from the start of a conference frame, so its frames line up with them.
FRAME = 160
#: How many frames the heard prompt may have lost or gained overall.
MAX_SHIFT = 5
#: The finest slip followed: a fraction of a frame, as clock adaptation takes out.
STEP = 20
#: What changing the shift costs, in mean frame powers of the prompt.
SHIFT_COST = 0.5
#: A chunk quieter than this, relative to the prompt's loudest chunk, is a pause.
VOICED_DB = -25.0
#: The score from which a prompt counts as heard (see above).
MIN_SCORE = 0.8
#: Between prompts played in a row: the player's turn from one file to the next.
MAX_GAP_S = 0.3
#: How much earlier than the previous prompt's end the next may seem to start (lost frames).
EARLY = MAX_SHIFT * FRAME


def read_wav(path: Path | str) -> np.ndarray:
    """A finished 8 kHz mono 16-bit WAV as floats (full scale 1.0)."""
    with wave.open(str(path), "rb") as wav:
        if (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) != (RATE, 1, 2):
            raise ValueError(f"{path}: not 8 kHz mono 16-bit")
        data = wav.readframes(wav.getnframes())
    return np.frombuffer(data, dtype="<i2").astype(np.float64) / 32768.0


def _coarse_starts(heard: np.ndarray, prompt: np.ndarray) -> set[int]:
    """Where the prompt may start: each voiced chunk's best match, moved back by its offset."""
    size = round(CHUNK_S * RATE)
    n = 1 << (len(heard) + size).bit_length()
    spectrum = np.fft.rfft(heard, n)
    sums = np.concatenate([[0.0], np.cumsum(heard**2)])
    chunks = [(o, prompt[o : o + size]) for o in range(0, len(prompt) - size // 2, size)]
    loudest = max(float(np.sum(c**2)) for _, c in chunks)
    starts = set()
    for offset, chunk in chunks:
        power = float(np.sum(chunk**2))
        if power == 0 or power < loudest * 10 ** (VOICED_DB / 10) or len(chunk) > len(heard):
            continue
        dots = np.fft.irfft(spectrum * np.fft.rfft(chunk[::-1], n), n)[len(chunk) - 1 : len(heard)]
        energy = np.maximum(sums[len(chunk) :] - sums[: -len(chunk)], 1e-12)
        starts.add(int(np.argmax(dots / np.sqrt(energy * power))) - offset)
    return starts


def _frames_at(heard: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The frames of ``heard`` starting at ``positions`` (any shape); zeros outside it."""
    padded = np.concatenate([np.zeros(FRAME), heard, np.zeros(FRAME)])
    index = np.clip(positions, -FRAME, len(heard))[..., None] + FRAME + np.arange(FRAME)
    return padded[index]


def _align(heard: np.ndarray, frames: np.ndarray, start: int) -> float:
    """The prompt's correlation with ``heard`` from ``start``, following where it slipped.

    A Viterbi pass over the prompt's frames: frame i is heard at
    ``start + i * FRAME + k * STEP``. Between two frames the shift k may move
    by up to a frame's worth of steps: a jitter buffer drops or repeats whole
    frames, and the receiving side's clock adaptation (pjmedia's delay buffer)
    takes out or adds a few milliseconds. Each move costs a little, so only a
    real slip (which pays back over the frames after it) makes one.
    """
    shifts = np.arange(-MAX_SHIFT * FRAME // STEP, MAX_SHIFT * FRAME // STEP + 1)
    positions = start + np.arange(len(frames))[:, None] * FRAME + shifts[None, :] * STEP
    windows = _frames_at(heard, positions)  # frames x shifts x FRAME
    dots = np.einsum("isf,if->is", windows, frames)
    energy = np.einsum("isf,isf->is", windows, windows)
    power = np.einsum("if,if->i", frames, frames)
    # Each frame votes by how well it matches (not by how loud the heard frame is), weighted
    # by its share of the prompt: a louder stretch one frame away must not lure the path.
    floor = 0.01 * power[:, None] + 1e-12
    votes = dots * np.sqrt(power)[:, None] / np.sqrt(np.maximum(energy, floor))
    penalty = SHIFT_COST * float(power.mean())
    reach = FRAME // STEP
    count = len(shifts)
    total = votes[0].copy()
    came = np.zeros((len(frames), count), dtype=int)
    for i in range(1, len(frames)):
        best = np.full(count, -np.inf)
        origin = np.zeros(count, dtype=int)
        for move in range(-reach, reach + 1):
            moved = np.full(count, -np.inf)
            if move >= 0:
                moved[move:] = total[: count - move]
            else:
                moved[:move] = total[-move:]
            moved -= penalty if move else 0.0
            better = moved > best
            best[better] = moved[better]
            origin[better] = (np.arange(count) - move)[better]
        came[i] = origin
        total = best + votes[i]
    dot = heard_energy = 0.0
    state = int(np.argmax(total))
    for i in range(len(frames) - 1, -1, -1):
        dot += dots[i, state]
        heard_energy += energy[i, state]
        state = came[i, state]
    return dot / np.sqrt(max(heard_energy * float(power.sum()), 1e-12))


def prompt_score(heard: np.ndarray, prompt: np.ndarray) -> tuple[float, float]:
    """The best (score, start in seconds) of ``prompt`` in ``heard``; score is 0 to 1.

    The score is the normalised correlation of the whole prompt, pauses
    included, with what was heard, frame by frame along the best path of
    dropped and repeated frames. Sound heard where the prompt is silent (the
    "-teen" after "three" in "thirteen") lowers it, as does any part missing.
    """
    if not np.any(prompt) or len(heard) < FRAME:
        return 0.0, 0.0
    frames = prompt[: len(prompt) // FRAME * FRAME].reshape(-1, FRAME)
    best = (0.0, 0.0)
    for start in _coarse_starts(heard, prompt):
        score = _align(heard, frames, start)
        if score > best[0]:
            best = (float(score), start / RATE)
    return best


def find_prompt(heard: np.ndarray, prompt_path: Path | str) -> float | None:
    """Where (seconds into ``heard``) the prompt starts, or None if it was not heard."""
    score, start = prompt_score(heard, read_wav(prompt_path))
    return start if score >= MIN_SCORE else None


def heard_prompt(samples: np.ndarray, prompt_path: Path | str) -> bool:
    """Whether the whole prompt at ``prompt_path`` is in ``samples`` (8 kHz floats)."""
    return find_prompt(samples, prompt_path) is not None


def heard_sequence(samples: np.ndarray, prompt_paths: list[Path] | list[str]) -> bool:
    """Whether the prompts were heard one right after the other, as a PromptPlayer plays them.

    Each prompt after the first is looked for only just after the one before,
    so "caller number" "three" is not satisfied by a "three" said elsewhere.
    """
    after: int | None = None  # where the previous prompt ended
    for path in prompt_paths:
        prompt = read_wav(path)
        lo = 0 if after is None else max(0, after - EARLY)
        hi = len(samples) if after is None else after + round(MAX_GAP_S * RATE) + len(prompt)
        score, start = prompt_score(samples[lo:hi], prompt)
        if score < MIN_SCORE:
            return False
        after = lo + round(start * RATE) + len(prompt)
    return True


def wait_prompt(phone: Any, call: int, prompt_path: Path, timeout: float = 15.0) -> None:
    """Waits until ``phone`` has heard the whole prompt on ``call`` (a Phone of phone.py)."""
    wait_until(
        lambda: heard_prompt(phone.recorded(call), prompt_path),
        timeout=timeout,
        what=f"{phone.name} to hear {Path(prompt_path).stem}",
    )


def prompt(name: str, lang: str = "ru") -> Path:
    """A built-in prompt's file, as the test boxes (language ru) play it."""
    return BUILT_DIR / lang / f"{name}.wav"
