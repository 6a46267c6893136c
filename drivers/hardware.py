"""The one place that builds a board's drivers on the back-ends it is given.

Tests and the ``sim`` board pass gpiozero's MockFactory and WAV file sinks; a
real board gets the pin factory its file names and sounddevice. A device that
cannot be built (a missing pin library, an absent sound card) is logged and
shown in ``minipbx status``; the rest of the box, and every call, goes on.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

from gpiozero.pins import Factory
from gpiozero.pins.mock import MockFactory

from drivers.door import DoorRelay
from drivers.line_in import LineInMonitor, LineInSource, SoundDeviceLineIn, WavLineIn
from drivers.paging import AudioSink, PagingZone, SoundDeviceSink, WavSink
from drivers.panel import FrontPanel
from drivers.relay import Relay
from drivers.timing import Scheduler
from firmware.boards import SIM, Board, Zone
from firmware.boards import LineIn as LineInSpec

log = logging.getLogger(__name__)
T = TypeVar("T")


#: Where each board's ``[gpio] factory`` lives: imported only on the board that names it,
#: as the Pi's pin libraries are absent elsewhere.
PIN_FACTORIES = {
    "lgpio": ("gpiozero.pins.lgpio", "LGPIOFactory"),
    "rpigpio": ("gpiozero.pins.rpigpio", "RPiGPIOFactory"),
    "native": ("gpiozero.pins.native", "NativeFactory"),
}


def pin_factory(name: str) -> Factory:
    """The gpiozero pin factory a board's ``[gpio] factory`` names, made for this box alone."""
    if name == "mock":
        return MockFactory()
    module, cls = PIN_FACTORIES[name]
    made: Factory = getattr(importlib.import_module(module), cls)()
    return made


SinkMaker = Callable[[str, Zone], AudioSink]
LineInMaker = Callable[[LineInSpec], LineInSource]
#: The engine's media clock: what the line-in is resampled to for hold music.
MEDIA_RATE = 8000


def board_sinks(run_dir: Path) -> SinkMaker:
    """A zone's real output, or for a ``sim`` device a WAV file in run_dir/zones/NAME.wav."""

    def make(name: str, zone: Zone) -> AudioSink:
        if zone.device == SIM:
            return WavSink(run_dir / "zones" / f"{name}.wav", zone.samplerate)
        return SoundDeviceSink(zone.device, zone.samplerate)

    return make


def board_line_in(run_dir: Path, scheduler: Scheduler) -> LineInMaker:
    """The board's line-in, or for a ``sim`` device the WAV file run_dir/line_in.wav, played
    in once it appears there."""

    def make(spec: LineInSpec) -> LineInSource:
        if spec.device == SIM:
            return WavLineIn(run_dir / "line_in.wav", spec.samplerate, scheduler)
        return SoundDeviceLineIn(spec.device, spec.samplerate)

    return make


class Hardware:
    def __init__(
        self,
        board: Board,
        *,
        pins: Callable[[], Factory],
        scheduler: Scheduler,
        sinks: SinkMaker,
        line_ins: LineInMaker,
    ) -> None:
        """``pins`` makes the pin factory (a missing pin library fails there, and the box
        goes on without its GPIO devices)."""
        self.board = board
        self.scheduler = scheduler
        #: Devices that could not be built, and why.
        self.problems: dict[str, str] = {}
        self.pins = self._build("gpio", pins) if board.relays or _has_panel(board) else None
        self.relays: dict[str, Relay] = {}
        for name, spec in board.relays.items() if self.pins is not None else ():
            relay = self._build(
                f"relay {name}",
                partial(
                    Relay,
                    name,
                    pin=spec.pin,
                    active_high=spec.active_high,
                    factory=self.pins,
                    clock=scheduler.now,
                ),
            )
            if relay is not None:
                self.relays[name] = relay
        self.doors = {name: DoorRelay(relay, scheduler) for name, relay in self.relays.items()}
        self.zones: dict[str, PagingZone] = {}
        for name, zone in board.audio.zones.items():
            sink = self._build(f"zone {name}", partial(sinks, name, zone))
            if sink is not None:
                amp = self.relays.get(zone.amp_relay) if zone.amp_relay else None
                self.zones[name] = PagingZone(
                    name, sink=sink, samplerate=zone.samplerate, scheduler=scheduler, amp=amp
                )
        #: The line-in's level and whether hold music takes it; None without a line-in.
        self.line_in: LineInMonitor | None = None
        self._line_in_source: LineInSource | None = None
        if board.audio.line_in is not None:
            self.line_in = self._build(
                "line-in", partial(self._start_line_in, board.audio.line_in, line_ins)
            )
        self.panel = None
        if self.pins is not None and _has_panel(board):
            self.panel = self._build(
                "panel", partial(FrontPanel, board.panel, factory=self.pins, scheduler=scheduler)
            )

    def _start_line_in(self, spec: LineInSpec, line_ins: LineInMaker) -> LineInMonitor:
        monitor = LineInMonitor(samplerate=spec.samplerate, out_rate=MEDIA_RATE)
        self._line_in_source = line_ins(spec)
        self._line_in_source.start(monitor.feed)
        return monitor

    @classmethod
    def for_board(cls, board: Board, *, run_dir: Path, scheduler: Scheduler) -> Hardware:
        """The board's own back-ends; ``sim`` gets MockFactory pins and WAV sinks in run_dir."""
        return cls(
            board,
            pins=partial(pin_factory, board.gpio.factory),
            scheduler=scheduler,
            sinks=board_sinks(run_dir),
            line_ins=board_line_in(run_dir, scheduler),
        )

    def _build(self, what: str, make: Callable[[], T]) -> T | None:
        try:
            return make()
        except Exception as exc:  # a broken device must not stop the box
            log.exception("%s on board %s cannot be used", what, self.board.name)
            self.problems[what] = f"{type(exc).__name__}: {exc}"
            return None

    def door(self, relay: str) -> DoorRelay | None:
        return self.doors.get(relay)

    def status(self) -> dict[str, object]:
        return {
            "board": self.board.name,
            "relays": {name: door.status() for name, door in self.doors.items()},
            "zones": {name: zone.status() for name, zone in self.zones.items()},
            "line_in": self.line_in.status() if self.line_in is not None else None,
            "panel": self.panel.status() if self.panel is not None else None,
            "problems": dict(self.problems),
        }

    def close(self) -> None:
        for relay in self.relays.values():
            relay.close()
        if self.panel is not None:
            self.panel.close()
        for zone in self.zones.values():
            zone.close()
        if self._line_in_source is not None:
            self._line_in_source.close()
        if self.pins is not None:
            self.pins.close()


def _has_panel(board: Board) -> bool:
    panel = board.panel
    return bool(panel.mode_button or panel.mode_led or panel.trunk_leds)
