"""A zone page dialed from a phone, on a fake leg: the beep, the words recorded, then the
zone (its amplifier on a MockFactory pin, its speaker a WAV sink) plays the chime."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from drivers.paging import BLOCK_SECONDS, CHIME_TONES, PagingZone, WavSink
from drivers.relay import Relay
from firmware.config import parse_config
from firmware.engine.features.zones.service import ZonePaging
from firmware.prompts.library import PromptLibrary
from firmware.routing.toneplans import Tone
from tests.support.audio import has_tone, read_samples
from tests.support.fake_leg import FakeLeg, Office
from tests.support.inbound_office import WavRecorder
from tests.unit.test_door import OFFICE
from tests.unit.test_zones import PAGING

RATE = 16000
AMP_PIN = 27
(DING, DING_S), _ = CHIME_TONES


@dataclass
class Hall:
    office: Office
    paging: ZonePaging
    zone: PagingZone
    sink: WavSink
    pins: MockFactory

    def run(self, seconds: float) -> None:
        """Time passes block by block, as the zone's audio is fed."""
        for _ in range(round(seconds / BLOCK_SECONDS)):
            self.office.after(BLOCK_SECONDS)


@pytest.fixture
def hall(tmp_path: Path) -> Iterator[Hall]:
    config = parse_config(OFFICE + PAGING)
    office = Office()
    pins = MockFactory()
    amp = Relay("amp", pin=AMP_PIN, active_high=True, factory=pins, clock=office.clock)
    sink = WavSink(tmp_path / "hall.wav", RATE)
    zone = PagingZone("hall", sink=sink, samplerate=RATE, scheduler=office.loop, amp=amp)
    paging = ZonePaging(
        config=lambda: config,
        zones={"hall": zone},
        new_call=office.new_call,
        recordings=tmp_path / "pages",
        prompts=PromptLibrary(tmp_path / "prompts"),
        recorder=WavRecorder,
    )
    yield Hall(office, paging, zone, sink, pins)
    zone.close()
    pins.close()


def pages(hall: Hall, code: str, extension: str = "101") -> tuple:
    phone = FakeLeg(None, user=extension, role="a", incoming=True)  # type: ignore[arg-type]
    assert hall.paging.route(phone, extension, code)
    return hall.office.calls[-1], phone


def test_a_page_is_recorded_after_the_beep_and_the_zone_plays_it_when_the_phone_hangs_up(
    hall: Hall,
) -> None:
    call, ivan = pages(hall, "*61")
    beep = hall.office.tones[-1]
    assert (call.state.name, ivan.sent, beep.tone) == ("zone_page", ["respond 200"], Tone.BEEP)
    assert ivan.audio in beep.heard_by
    hall.office.after(0.5)
    assert beep.closed
    [recorder] = [sink for sink in ivan.audio.sinks if isinstance(sink, WavRecorder)]
    assert hall.pins.pin(AMP_PIN).state is False  # nothing plays while the phone speaks
    hall.office.after(4.0)
    ivan.hangs_up()
    assert not recorder.path.exists()  # played, and the file goes
    assert hall.pins.pin(AMP_PIN).state is True  # the amplifier warms up
    hall.run(1.0 + DING_S)
    assert has_tone(
        read_samples(hall.sink.path, rate=RATE)[: round(DING_S * RATE)], DING, rate=RATE
    )
    record = hall.office.record(call)
    assert (record["disposition"], record["hangup_by"], record["reason"]) == (
        "answered",
        "caller",
        "page hall",
    )


def test_a_page_ends_at_the_longest_allowed_and_the_box_hangs_up(hall: Hall) -> None:
    _, ivan = pages(hall, "*61")
    hall.office.after(0.5)
    hall.office.after(59.9)
    assert "end" not in ivan.sent
    hall.office.after(0.2)  # [paging] max_seconds
    assert ivan.sent[-1] == "end"
    assert hall.pins.pin(AMP_PIN).state is True


def test_a_page_is_refused_with_busy_while_an_emergency_plays(hall: Hall) -> None:
    emergency, olga = pages(hall, "*69", "102")
    hall.office.after(0.5)
    olga.keys("#")  # the emergency page is spoken: the zone plays it
    call, ivan = pages(hall, "*61")
    busy = hall.office.tones[-1]
    assert (call.state.name, busy.tone, set(busy.heard_by)) == ("refusing", Tone.BUSY, {ivan.audio})
    hall.office.after(1.0)
    assert ivan.sent[-1] == "end 486"
    assert emergency.state.name == "ended"
