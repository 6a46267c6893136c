"""Every board's drivers build on the simulated back-ends: MockFactory pins and WAV sinks."""

from __future__ import annotations

from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from drivers.hardware import Hardware, SinkMaker
from drivers.line_in import WavLineIn
from drivers.paging import WavSink
from firmware.boards import board_names, load_board
from firmware.engine.loop import EngineLoop
from tests.support.fake_leg import Clock


def wav_sinks(folder: Path) -> SinkMaker:
    """Every zone a WAV file, whatever sound card the board names."""
    return lambda name, zone: WavSink(folder / f"{name}.wav", zone.samplerate)


@pytest.mark.parametrize("name", board_names())
def test_every_board_builds_every_driver_on_simulated_back_ends(name: str, tmp_path: Path) -> None:
    board = load_board(name)
    pins = MockFactory()
    loop = EngineLoop(lambda ms: None, clock=Clock())
    hardware = Hardware(
        board,
        pins=lambda: pins,
        scheduler=loop,
        sinks=wav_sinks(tmp_path),
        line_ins=lambda spec: WavLineIn(tmp_path / "line_in.wav", spec.samplerate, loop),
    )
    try:
        assert hardware.problems == {}
        assert set(hardware.relays) == set(board.relays)
        for relay_name, spec in board.relays.items():
            # A relay at rest: its pin is low on an active-high board, high on a relay HAT.
            assert pins.pin(spec.pin).state == (not spec.active_high), relay_name
            assert hardware.status()["relays"][relay_name]["on"] is False  # type: ignore[index]
        assert set(hardware.zones) == set(board.audio.zones)
        assert hardware.panel is not None
        assert hardware.pins is pins
        assert (hardware.line_in is not None) == (board.audio.line_in is not None)
    finally:
        hardware.close()


def test_a_board_whose_pin_library_is_missing_still_builds_its_audio(tmp_path: Path) -> None:
    def no_library() -> MockFactory:
        raise ImportError("No module named 'lgpio'")

    loop = EngineLoop(lambda ms: None, clock=Clock())
    hardware = Hardware(
        load_board("rpi4-relay"),
        pins=no_library,
        scheduler=loop,
        sinks=wav_sinks(tmp_path),
        line_ins=lambda spec: WavLineIn(tmp_path / "line_in.wav", spec.samplerate, loop),
    )
    assert hardware.problems == {"gpio": "ImportError: No module named 'lgpio'"}
    assert (hardware.relays, hardware.panel) == ({}, None)
    assert set(hardware.zones) == {"hall"} and hardware.line_in is not None
    hardware.close()
