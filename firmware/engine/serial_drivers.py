"""The serial drivers the engine feeds: call records (SMDR) and text messages (ESPA).

Built from ``[smdr]`` and ``[espa]`` and the board's ``[serial]`` ports. Whatever a
driver does wrong is logged here and goes no further: a printer or a paging system
never stops a call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Literal
from zoneinfo import ZoneInfo

from drivers.espa import Espa
from drivers.serial_line import SIMULATED, PortSettings, SerialLine
from drivers.smdr import CallRecordPort
from drivers.smdr_layout import finished_call, smdr_line
from firmware.boards import load_board
from firmware.config import Config
from firmware.home import Home

log = logging.getLogger(__name__)
#: How long one read on an ESPA line waits; the dialogue's own timeouts count in these.
READ_SLICE = 0.05


def board_port(board: str, name: Literal["smdr", "espa"]) -> str:
    """The pyserial URL of the board's ``[serial] name`` port; ``sim`` when it has none."""
    return getattr(load_board(board).serial, name) or SIMULATED


class SerialDrivers:
    def __init__(self, config: Callable[[], Config], home: Home) -> None:
        self._config = config
        settings = config()
        self.smdr: CallRecordPort | None = None
        self._lines_up: set[str] = set()
        self.espa: Espa | None = None
        if settings.smdr.enabled:
            port = PortSettings(settings.smdr, READ_SLICE, settings.smdr.write_timeout)
            self.smdr = CallRecordPort(
                settings=settings.smdr,
                line=SerialLine(board_port(settings.system.board, "smdr"), port),
                store=home.store,
            )
        if settings.espa.enabled:
            port = PortSettings(settings.espa, READ_SLICE, settings.espa.answer_timeout)
            self.espa = Espa(
                settings=settings.espa,
                line=SerialLine(board_port(settings.system.board, "espa"), port),
            )

    def start(self) -> None:
        for driver in (self.smdr, self.espa):
            if driver is not None:
                driver.start()

    def stop(self) -> None:
        for driver in (self.smdr, self.espa):
            if driver is not None:
                driver.stop()

    def call_closed(self, row: dict[str, Any]) -> None:
        """A call record closed: its SMDR line goes to the printer's queue."""
        if self.smdr is None:
            return
        try:
            config = self._config()
            lines = {trunk.name: number for number, trunk in enumerate(config.trunks, start=1)}
            call = finished_call(row, lines)
            text = call and smdr_line(call, config.smdr, ZoneInfo(config.system.timezone))
            if text:
                self.smdr.print_record(int(row["id"]), text)
        except Exception:
            log.exception("smdr: call record %s not printed", row.get("id"))

    def parked(self, slot: int, announce_to: Sequence[str]) -> None:
        """A call waits on park line ``slot``: "call for you on line N" to the handsets."""
        if self.espa is not None:
            self.espa.send_event("park", f"Call for you on line {slot}", fallback=announce_to)

    def door_ringing(self, door: str) -> None:
        """A door station rings: its name to the handsets in ``[espa.events] door``. For the
        door feature; one message to one address is ``self.espa.send(address, text, priority)``."""
        if self.espa is not None:
            self.espa.send_event("door", f"Door: {door}")

    def line_changed(self, line: dict[str, Any]) -> None:
        """A trunk's line changed (``Line.status()``): a line that was up and went down
        raises the alarm; a line never up since the start (still registering) does not."""
        name = str(line["name"])
        if line["up"]:
            self._lines_up.add(name)
        elif name in self._lines_up:
            self._lines_up.discard(name)
            if self.espa is not None:
                self.espa.send_event("alarm", f"Line {name} down: {line['why_down']}")

    def status(self) -> dict[str, Any]:
        return {
            name: driver.status()
            for name, driver in (("smdr", self.smdr), ("espa", self.espa))
            if driver is not None
        }
