"""Building blocks every part of the pbx.toml schema shares."""

from __future__ import annotations

import ipaddress
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

ExtensionNumber = Annotated[
    str, Field(pattern=r"^[1-8][0-9]{1,4}$", description="2 to 5 digits, not starting 0 or 9")
]
Seconds = Annotated[float, Field(gt=0, le=3600)]


def _ip_address(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an IP address") from None
    return value


#: An address a service of the box listens on or sends from: an IP, never a name.
IpAddress = Annotated[str, AfterValidator(_ip_address)]


class Section(BaseModel):
    """Common rules: unknown keys are refused and values are checked on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=True)
