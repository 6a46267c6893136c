"""Building blocks every part of the pbx.toml schema shares."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

ExtensionNumber = Annotated[
    str, Field(pattern=r"^[1-8][0-9]{1,4}$", description="2 to 5 digits, not starting 0 or 9")
]
Seconds = Annotated[float, Field(gt=0, le=3600)]


class Section(BaseModel):
    """Common rules: unknown keys are refused and values are checked on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=True)
