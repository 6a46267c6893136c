"""The words other code uses about numbers: the plan, the classes, a number as read."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import phonenumbers as pn
from phonenumbers import PhoneMetadata


class NumberClass(StrEnum):
    INTERNAL = "internal"
    EMERGENCY = "emergency"
    LOCAL = "local"
    LONG_DISTANCE = "long_distance"
    MOBILE = "mobile"
    INTERNATIONAL = "international"
    SERVICE = "service"


class NumberError(ValueError):
    """A text that cannot be a phone number; the message is for the person who typed it."""


def is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


@dataclass(frozen=True)
class NumberPlan:
    """Where the box sits: what a number without prefixes means, and which are the office's own.

    ``area_code`` is written without the national prefix ("495", "30"), and may
    be "" where the box has no area.
    """

    region: str
    area_code: str
    extensions: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.region not in pn.SUPPORTED_REGIONS:
            raise ValueError(f"unknown region {self.region!r}: use an ISO 3166 code such as 'RU'")
        if self.area_code and not is_digits(self.area_code):
            raise ValueError(f"area code {self.area_code!r} must be digits only")
        if bad := sorted(e for e in self.extensions if not is_digits(e)):
            raise ValueError(f"extensions must be digits only: {', '.join(map(repr, bad))}")

    @property
    def metadata(self) -> PhoneMetadata:
        metadata = PhoneMetadata.metadata_for_region(self.region)
        assert metadata is not None, "__post_init__ admits supported regions only"
        return metadata


@dataclass(frozen=True)
class ReadNumber:
    """A number as the box understood it, with enough to explain that to a person.

    Exactly one of ``e164`` and ``short`` is set: E.164 does not apply to
    extensions and short codes. ``digits`` is the dial string without
    separators, keeping a leading "+"; ``region`` is the country the number
    belongs to (None for an extension); ``display`` is written the way people
    in the office's country write it: national format at home, international
    format for other countries.
    """

    text: str
    digits: str
    number_class: NumberClass
    e164: str | None = None
    short: str | None = None
    region: str | None = None
    display: str = ""
    description: str = ""

    @property
    def normal(self) -> str:
        """The form routing, class of service and the CDR compare."""
        return self.e164 or self.short or ""
