"""``[espa]``: text messages to DECT handsets and pagers over an ESPA 4.4.4 serial link.

The port comes from the board (``[serial] espa``). The box is the control station;
``[espa.events]`` says which events send a message to which handset addresses (the
call addresses the DECT system or paging system knows, usually the extension numbers).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from firmware.config.base import Seconds, Section
from firmware.config.serial_port import SerialFraming

Address = Annotated[str, Field(pattern=r"^[0-9A-Za-z]{1,16}$")]
StationAddress = Annotated[str, Field(pattern=r"^[0-9]$")]
Digit = Annotated[int, Field(ge=1, le=9)]


class EspaEvent(Section):
    addresses: list[Address] = []
    priority: Digit = 1


class DoorEvent(EspaEvent):
    priority: Digit = 2


class AlarmEvent(EspaEvent):
    priority: Digit = 3


class EspaEvents(Section):
    door: DoorEvent = DoorEvent()
    """A door station rings: its name is the text (sent by the door feature)."""
    park: EspaEvent = EspaEvent()
    """A call waits on a park line: "call for you on line N". No addresses: the extensions
    in ``[park] announce_to`` other than the one who parked it."""
    alarm: AlarmEvent = AlarmEvent()
    """The box's alarms (a line down); the text says which."""


class Espa(SerialFraming):
    enabled: bool = False
    pager: StationAddress = Field("2", description="the paging or DECT system's address")
    answer_timeout: Seconds = Field(1.0, description="how long to wait for ACK or NAK")
    retries: int = Field(3, ge=0, le=9, description="sends again after a NAK or no answer")
    reconnect: Seconds = Field(5.0, description="how often a lost line is tried again")
    poll_interval: Seconds = Field(30.0, description="link check when there is nothing to send")
    beep_coding: Digit = 1
    call_type: Digit = 3
    transmissions: Digit = 1
    max_text: int = Field(64, ge=1, le=512, description="longer texts are cut")
    events: EspaEvents = EspaEvents()
