"""How a serial port is framed: the RS-232C settings an installer copies from the printer's
or paging system's manual (baud rate, data bits, parity, stop bits, flow control)."""

from __future__ import annotations

from typing import Literal

from firmware.config.base import Section

Baud = Literal[1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200]


class SerialFraming(Section):
    baud: Baud = 9600
    data_bits: Literal[7, 8] = 8
    parity: Literal["none", "even", "odd"] = "none"
    stop_bits: Literal[1, 2] = 1
    flow_control: Literal["none", "rtscts"] = "none"
