"""Reading the few things the engine needs from a SIP message's text."""

from __future__ import annotations

import re

_REQUEST_USER = re.compile(r"^[A-Z]+ sips?:([^@;>\s]+)@")
_USER = re.compile(r"sips?:([^@;>\s]+)@")
_COMPACT = {"f": "from", "t": "to"}


def header(message: str, name: str) -> str | None:
    """The first value of a header, compact forms included; None when absent."""
    wanted = name.lower()
    for line in message.split("\r\n\r\n", 1)[0].splitlines()[1:]:
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        if sep and _COMPACT.get(key, key) == wanted:
            return value.strip()
    return None


def request_user(message: str) -> str:
    found = _REQUEST_USER.match(message)
    return found.group(1) if found else ""


def user_of(value: str) -> str:
    """The user part of a From or To value: ``"Ivan" <sip:101@pbx>;tag=x`` -> ``101``."""
    found = _USER.search(value)
    return found.group(1) if found else ""
