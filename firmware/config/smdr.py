"""``[smdr]``: the call-record port, printed in the Panasonic KX-TDA 80-column layout.

The port itself comes from the board (``[serial] smdr``); these keys say how the
printer or the billing PC at its end wants the lines.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from firmware.config.base import Seconds
from firmware.config.serial_port import SerialFraming


class Smdr(SerialFraming):
    enabled: bool = False
    newline: Literal["CRLF", "LF", "CR"] = "CRLF"
    date_format: Literal["dd/mm/yy", "mm/dd/yy", "yy/mm/dd"] = "dd/mm/yy"
    clock: Literal["12h", "24h"] = "12h"
    header: bool = Field(True, description="print the column titles at the top of each page")
    page_length: int = Field(
        66, ge=0, le=255, description="lines per page; 0: continuous paper, one header"
    )
    skip_perforation: int = Field(
        0, ge=0, le=255, description="blank lines at the end of each page"
    )
    intercom: bool = Field(False, description="print calls between extensions too")
    retry: Seconds = Field(5.0, description="how often a lost port or printer is tried again")
    write_timeout: Seconds = Field(
        2.0,
        description="how long a line may wait for the printer (flow control) before "
        "the port counts as not ready",
    )

    @model_validator(mode="after")
    def _page_fits(self) -> Smdr:
        if self.page_length and self.page_length < self.skip_perforation + 4:
            raise ValueError(
                "page_length must be 0 or at least skip_perforation + 4 "
                f"({self.page_length} < {self.skip_perforation} + 4)"
            )
        return self
