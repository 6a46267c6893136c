"""Where a call goes, in one word: ``extension:101``, ``department:600``, ``menu:main``,
``voicemail:101``, ``scenario:night``, ``icm`` or ``hangup``.

pbx.toml writes a target as text wherever a key, a step, an overflow or ICM's
default points somewhere; it is read into a ``Target`` once, when the config
is parsed, so routing and the engine match on its kind instead of splitting
strings, and it is written back as the same text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema


class Kind(StrEnum):
    EXTENSION = "extension"
    DEPARTMENT = "department"
    VOICEMAIL = "voicemail"
    MENU = "menu"
    SCENARIO = "scenario"
    ICM = "icm"
    HANGUP = "hangup"


#: Kinds that name a number, those that name a menu or scenario, and those that stand alone.
_NUMBERED = {Kind.EXTENSION, Kind.DEPARTMENT, Kind.VOICEMAIL}
_NAMED = {Kind.MENU, Kind.SCENARIO}
_NUMBER = re.compile(r"^[0-9]{2,5}$")
_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
FORMS = "extension:N, department:N, voicemail:N, menu:NAME, scenario:NAME, icm or hangup"


@dataclass(frozen=True)
class Target:
    """A parsed target; ``value`` is the number or name, empty for icm and hangup.

    As a pydantic field it reads the text and dumps back to it.
    """

    kind: Kind
    value: str = ""

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}" if self.value else str(self.kind)

    @classmethod
    def parse(cls, text: str) -> Target:
        """The target ``text`` writes; ValueError says which forms there are."""
        name, colon, value = text.partition(":")
        try:
            kind = Kind(name)
        except ValueError:
            raise ValueError(f"{text!r} is no target: {FORMS}") from None
        if kind in _NUMBERED and _NUMBER.match(value):
            return cls(kind, value)
        if kind in _NAMED and _NAME.match(value):
            return cls(kind, value)
        if kind not in _NUMBERED | _NAMED and not colon:
            return cls(kind)
        raise ValueError(f"{text!r} is no target: {FORMS}")

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(
            _read,
            core_schema.is_instance_schema(cls),
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "description": FORMS}


def _read(value: object) -> object:
    return Target.parse(value) if isinstance(value, str) else value


ICM = Target(Kind.ICM)
HANGUP = Target(Kind.HANGUP)
