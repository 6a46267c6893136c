"""A paging zone on its seams: MockFactory for the amplifier's relay, a WAV sink for the speaker.

What the zone played is read back from the WAV and searched for the chime and
the page's own tone; the amplifier's pin history is read with the test's clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from gpiozero.pins.mock import MockFactory

from drivers.paging import BLOCK_SECONDS, CHIME_TONES, PagingZone, Priority, WavSink
from drivers.relay import Relay
from firmware.engine.loop import EngineLoop
from tests.support.audio import has_tone, read_samples
from tests.support.fake_leg import Clock

RATE = 16000
AMP_PIN = 27
PAGE_TONE, ALARM_TONE, MUSIC_TONE = 1000.0, 1500.0, 400.0
(DING, DING_S), (DONG, DONG_S) = CHIME_TONES


def tone(freq: float, seconds: float) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return (np.sin(2 * np.pi * freq * t) * 0.5 * 32767).astype(np.int16)


class Rig:
    def __init__(self, folder: Path) -> None:
        self.clock = Clock()
        self.loop = EngineLoop(lambda ms: None, clock=self.clock)
        self.pins = MockFactory()
        self.amp = Relay("amp", pin=AMP_PIN, active_high=True, factory=self.pins, clock=self.clock)
        self.sink = WavSink(folder / "hall.wav", RATE)
        self.zone = PagingZone(
            "hall", sink=self.sink, samplerate=RATE, scheduler=self.loop, amp=self.amp
        )
        self.zone.amp_lead = 0.5
        self.start = self.clock.now

    def run(self, seconds: float) -> None:
        """Time passes block by block, each due timer running when its time comes."""
        for _ in range(round(seconds / BLOCK_SECONDS)):
            self.clock.now += BLOCK_SECONDS
            self.loop.run_once()

    def played(self, since: float = 0.0, until: float | None = None) -> np.ndarray:
        samples = read_samples(self.sink.path, rate=RATE)
        end = None if until is None else round(until * RATE)
        return samples[round(since * RATE) : end]

    def amp_switched(self) -> list[tuple[float, bool]]:
        return [(round(at - self.start, 3), on) for at, on in self.amp.history]


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    made = Rig(tmp_path)
    yield made
    made.zone.close()
    made.pins.close()


def test_a_page_powers_the_amplifier_first_then_plays_the_chime_and_the_page(rig: Rig) -> None:
    assert rig.zone.play(tone(PAGE_TONE, 1.0), Priority.PAGE)
    assert rig.pins.pin(AMP_PIN).state is True
    assert rig.played().size == 0  # nothing plays while the amplifier warms up
    rig.run(0.4)
    assert rig.played().size == 0
    rig.run(3.0)
    chime_s = DING_S + DONG_S
    assert has_tone(rig.played(0.05, DING_S - 0.05), DING, rate=RATE)
    assert has_tone(rig.played(DING_S + 0.05, chime_s - 0.05), DONG, rate=RATE)
    assert has_tone(rig.played(chime_s + 0.05, chime_s + 0.95), PAGE_TONE, rate=RATE)
    assert rig.played().size == round((chime_s + 1.0) * RATE)  # all of it, nothing more
    # On at once; the chime and page take 1.7 s from 0.5 s on; off one block after the last.
    [(on_at, on), (off_at, off)] = rig.amp_switched()
    assert (on, off) == (True, False)
    assert on_at == 0.0 and off_at == pytest.approx(0.5 + chime_s + 1.0 + BLOCK_SECONDS, abs=0.11)
    assert rig.zone.playing is None


def test_an_emergency_cuts_a_page_off_and_a_page_is_refused_while_it_plays(rig: Rig) -> None:
    rig.zone.chime_enabled = False
    rig.zone.play(tone(PAGE_TONE, 2.0), Priority.PAGE)
    rig.run(1.0)  # after the 0.5 s lead, blocks at 0.5, 0.6 ... 1.0: 0.6 s of the page
    assert rig.zone.play(tone(ALARM_TONE, 1.0), Priority.EMERGENCY)
    assert not rig.zone.play(tone(PAGE_TONE, 1.0), Priority.PAGE)
    assert not rig.zone.play(tone(ALARM_TONE, 1.0), Priority.EMERGENCY)
    rig.run(2.0)
    assert has_tone(rig.played(0.0, 0.55), PAGE_TONE, rate=RATE)
    assert has_tone(rig.played(0.65, 1.55), ALARM_TONE, rate=RATE)
    assert rig.played().size == round(1.6 * RATE)  # the page stopped where it was cut
    assert [on for _, on in rig.amp_switched()] == [True, False]  # on throughout


def test_background_music_has_no_chime_and_gives_way_to_a_page(rig: Rig) -> None:
    rig.zone.play(tone(MUSIC_TONE, 5.0), Priority.MUSIC)
    rig.run(1.5)
    assert has_tone(rig.played(0.0, 0.9), MUSIC_TONE, rate=RATE)
    rig.zone.play(tone(PAGE_TONE, 0.5), Priority.PAGE)
    rig.run(2.0)
    assert has_tone(rig.played(1.0 + 0.05, 1.0 + DING_S - 0.05), DING, rate=RATE)


class DeadSoundCard:
    def write(self, block: np.ndarray) -> None:
        raise OSError("PortAudio: device unavailable")

    def close(self) -> None:
        pass


def test_a_dead_output_ends_the_page_and_switches_the_amplifier_off(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    zone = PagingZone(
        "yard", sink=DeadSoundCard(), samplerate=RATE, scheduler=rig.loop, amp=rig.amp
    )
    zone.amp_lead = 0.5
    assert zone.play(tone(PAGE_TONE, 1.0), Priority.PAGE)
    rig.run(1.0)
    assert "zone yard: the output failed" in caplog.text
    assert zone.playing is None and not rig.amp.energised
