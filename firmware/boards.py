"""Board definitions: what hardware a box has, as validated data in boards/*.toml.

``[system] board`` names one of them; ``sim`` needs no hardware at all. A board
file is checked as a whole when it is read: an unknown key, a pin used twice or
a relay name that does not exist is refused with the file, the key path and why,
so a typo never surfaces later as a door that does not open.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from firmware.keypath import format_path

BOARDS_DIR = Path(__file__).resolve().parents[1] / "boards"

#: A BCM GPIO number, as gpiozero takes it.
Pin = Annotated[int, Field(ge=0, le=53)]
DeviceName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
#: The word that stands for a simulated device instead of a real one.
SIM = "sim"
_SERIAL_URL = re.compile(r"^(sim|/dev/[A-Za-z0-9_./-]+|[a-z][a-z0-9+-]*://\S*)$")


class BoardError(ValueError):
    """A board file refused as a whole; each line names the key path and what is wrong."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        shown = _shown(path)
        super().__init__("\n".join(f"{shown}: {problem}" for problem in problems))


class Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Gpio(Part):
    """Which gpiozero pin factory drives the pins: ``mock`` is MockFactory (no hardware)."""

    factory: Literal["mock", "lgpio", "rpigpio", "native"] = "mock"


class Relay(Part):
    """A relay coil on a pin. Relay HATs usually close the contact on a low pin."""

    pin: Pin
    active_high: bool = True
    description: str = ""


class Button(Part):
    pin: Pin
    pull_up: bool = Field(True, description="the button shorts the pin to ground")


class Led(Part):
    pin: Pin
    active_high: bool = True


class ModeLed(Part):
    """A bi-colour (red and green) or RGB LED showing the mode: off day, red night, green lunch."""

    red: Pin
    green: Pin
    blue: Pin | None = None
    active_high: bool = True


class Panel(Part):
    mode_button: Button | None = None
    mode_led: ModeLed | None = None
    trunk_leds: list[Led] = Field(
        default_factory=list, description="one per trunk, in the order of [[trunks]] in pbx.toml"
    )


class Zone(Part):
    """A paging output: a sounddevice output device, or ``sim`` for a WAV file sink."""

    device: str = Field(min_length=1)
    amp_relay: DeviceName | None = None
    samplerate: int = Field(16000, ge=8000, le=48000)


class LineIn(Part):
    """A line-in (radio, player) for music on hold: a sounddevice input, or ``sim``."""

    device: str = Field(min_length=1)
    samplerate: int = Field(16000, ge=8000, le=48000)


class Audio(Part):
    zones: dict[DeviceName, Zone] = Field(default_factory=dict)
    line_in: LineIn | None = None


class SerialPorts(Part):
    """Serial devices by pyserial URL (``/dev/ttyUSB0``, ``rfc2217://...``); ``sim`` is a pty
    the driver makes itself."""

    smdr: str | None = None
    espa: str | None = None

    @field_validator("smdr", "espa")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not _SERIAL_URL.match(value):
            raise ValueError(f"{value!r} is not a device path, a pyserial URL or 'sim'")
        return value


class Board(Part):
    name: str
    description: str = Field(min_length=1)
    gpio: Gpio = Gpio()
    relays: dict[DeviceName, Relay] = Field(default_factory=dict)
    panel: Panel = Panel()
    audio: Audio = Audio()
    serial: SerialPorts = SerialPorts()

    @model_validator(mode="after")
    def _wiring(self) -> Board:
        for name, zone in self.audio.zones.items():
            if zone.amp_relay is not None and zone.amp_relay not in self.relays:
                raise ValueError(
                    f"audio.zones.{name}.amp_relay: no relay {zone.amp_relay!r} "
                    f"(relays: {', '.join(self.relays) or 'none'})"
                )
        seen: dict[int, str] = {}
        for where, pin in self.pins():
            if pin in seen:
                raise ValueError(f"{where}: pin {pin} is already {seen[pin]}")
            seen[pin] = where
        return self

    def pins(self) -> list[tuple[str, int]]:
        """Every pin the board uses, with the key that names it."""
        found = [(f"relays.{name}.pin", relay.pin) for name, relay in self.relays.items()]
        panel = self.panel
        if panel.mode_button is not None:
            found.append(("panel.mode_button.pin", panel.mode_button.pin))
        if panel.mode_led is not None:
            for colour in ("red", "green", "blue"):
                pin = getattr(panel.mode_led, colour)
                if pin is not None:
                    found.append((f"panel.mode_led.{colour}", pin))
        found += [(f"panel.trunk_leds[{i}].pin", led.pin) for i, led in enumerate(panel.trunk_leds)]
        return found


def board_names() -> list[str]:
    return sorted(p.stem for p in BOARDS_DIR.glob("*.toml"))


def load_board(name: str) -> Board:
    path = BOARDS_DIR / f"{name}.toml"
    if not path.is_file():
        known = ", ".join(board_names())
        raise ValueError(f"no board {name!r} (boards: {known})")
    return read_board(path)


def read_board(path: Path) -> Board:
    """The board ``path`` describes; BoardError lists every key that is wrong and why."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BoardError(path, [f"cannot read: {exc}"]) from None
    try:
        board = Board.model_validate(data)
    except ValidationError as exc:
        raise BoardError(path, [_problem(err) for err in exc.errors()]) from None
    if board.name != path.stem:
        raise BoardError(path, [f"name: {board.name!r} differs from the file name {path.stem!r}"])
    return board


def _problem(err: object) -> str:
    assert isinstance(err, dict)
    loc = tuple(err["loc"])
    if err["type"] == "extra_forbidden":
        message = "unknown key (see docs/config.md, Boards, for the keys a board takes)"
    elif err["type"] == "missing":
        message = "required key is missing"
    else:
        message = str(err["msg"]).removeprefix("Value error, ")
    if not loc:  # a rule across the board names its own key path
        return message
    return f"{format_path(loc)}: {message}"


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(BOARDS_DIR.parent))
    except ValueError:
        return str(path)
