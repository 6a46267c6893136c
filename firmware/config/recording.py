"""[recording]: which calls the box records, the code that records one on demand, and how
long recordings are kept.

Who records is listed in this one section rather than flagged on each extension,
department and number, so an installer sees every recorded party in one place
(recording is something an office must tell its callers about).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from firmware.config.base import ExtensionNumber, Section
from firmware.routing.numbers import NumberError, NumberPlan, read_number

if TYPE_CHECKING:
    from firmware.config.schema import Config

#: A code keyed during a call, of the form of the other in-call codes (``[dialing]``).
RecordCode = Annotated[str, Field(pattern=r"^[*#][0-9*#]{1,3}$")]


class Recording(Section):
    extensions: list[ExtensionNumber] = Field(
        default_factory=list, description="every call these extensions place or answer"
    )
    departments: list[ExtensionNumber] = Field(
        default_factory=list, description="every call dialed to these departments"
    )
    numbers: list[str] = Field(
        default_factory=list, description="every call to these office numbers ([[numbers]])"
    )
    code: RecordCode = Field(
        "*1", description="keyed during a call: starts recording it; keyed again: pauses"
    )
    keep_days: int = Field(90, ge=1, le=3650, description="recordings older are deleted")
    max_total_mb: int = Field(
        2048, ge=1, description="all recordings together; the oldest go first when over"
    )

    @property
    def max_total_bytes(self) -> int:
        return self.max_total_mb * 1024 * 1024


Found = list[tuple[tuple[str | int, ...], str]]


def recording_problems(config: Config, plan: NumberPlan) -> Found:
    """Every listed party must exist, and the code must not be read as another in-call code."""
    section = config.recording
    found: Found = [
        (("recording", "extensions", i), f"no extension {number}")
        for i, number in enumerate(section.extensions)
        if config.extension(number) is None
    ]
    found += [
        (("recording", "departments", i), f"no department {number}")
        for i, number in enumerate(section.departments)
        if config.department(number) is None
    ]
    owned = set()
    for entry in config.numbers:
        try:
            owned.add(read_number(entry.number, plan).normal)
        except NumberError:
            continue  # reported at the number itself
    for i, number in enumerate(section.numbers):
        try:
            normal = read_number(number, plan).normal
        except NumberError as exc:
            found.append((("recording", "numbers", i), str(exc)))
            continue
        if normal not in owned:
            found.append((("recording", "numbers", i), f"{number} is none of [[numbers]]"))
    dialing = config.dialing
    for key in ("transfer", "add_party", "park"):
        other = getattr(dialing, key)
        if other.startswith(section.code) or section.code.startswith(other):
            why = f"{section.code!r} begins like [dialing] {key} ({other!r})"
            found.append((("recording", "code"), why))
    return found
