"""How the box reads a dialed or calling number: its normal form and its class.

Class of service, ICM matching and the CDR must agree on what a number is, so it
is decided once, here, from phonenumbers' metadata rather than from hand-written
numbering plans. A dial string (separators dropped) is read in this order:

1. Emergency, because a call for help must never be blocked or misread: the
   region's emergency numbers in phonenumbers plus the few it lacks (see
   ``short``). The public network connects as soon as an emergency number is
   complete (phonenumbers' ``connects_to_emergency_number``), so 1120 reaches
   112 and reads as the emergency number 112. An extension that *is* an
   emergency number (101 in Russia) never rings: emergency wins. Digits that
   only begin with one (1101 in Germany) ring the extension of that number if
   the plan has one: an installer who numbers an extension so means it.
2. Internal: exactly one of the plan's extensions.
3. Short service codes: a valid short number of the region that is not
   emergency (DE 115, 118xx), or one phonenumbers lacks (RU 100).
4. A full number. A leading "+", the region's international prefix (RU 810)
   or 00 (ITU's recommended prefix, the one Russia is moving to) means
   international format; the national prefix (RU 8, DE 0) means national
   format; anything else is first a subscriber number in the plan's area
   (1234567 in 495), failing that a national number without its prefix
   (4951234567, or even 74951234567). Only numbers phonenumbers holds valid are
   accepted, so a misdial is refused here rather than by a trunk.

A full number's class:

- another country -> international, decided by region and not by country code,
  so Kazakhstan's +7 7172 is international from Russia;
- toll-free, premium-rate, shared-cost, UAN or voicemail access -> service;
- mobile, whatever its area (FIXED_LINE_OR_MOBILE counts as fixed);
- geographic in the plan's area code -> local;
- any other national number (another area code, or a non-geographic one such
  as DE 0700 personal numbers) -> long_distance. Area codes are compared
  literally: 499 is long distance from 495, although both are Moscow.
"""

from __future__ import annotations

from firmware.routing.numbers.full import read_full
from firmware.routing.numbers.model import (
    NumberClass,
    NumberError,
    NumberPlan,
    ReadNumber,
    is_digits,
)
from firmware.routing.numbers.short import emergency_number, is_service_code

__all__ = [
    "NumberClass",
    "NumberError",
    "NumberPlan",
    "ReadNumber",
    "as_written",
    "normalise",
    "read_number",
]

# Dashes of every kind come in with numbers pasted from web pages and e-mails.
_SEPARATORS = frozenset("-.()/\u2010\u2011\u2012\u2013\u2014\u2212")
_SHORT_DESCRIPTIONS = {
    NumberClass.EMERGENCY: "emergency number",
    NumberClass.INTERNAL: "extension",
    NumberClass.SERVICE: "short service number",
}


def read_number(text: str, plan: NumberPlan) -> ReadNumber:
    """Read a dialed or calling number the way the public network in ``plan.region`` would."""
    digits = _clean(text)
    return _read_short(text, digits, plan) or read_full(text, digits, plan)


def normalise(text: str, plan: NumberPlan) -> str:
    """E.164, or the digits of an extension or short code; reading the result gives it again."""
    return read_number(text, plan).normal


def _clean(text: str) -> str:
    digits = "".join(c for c in text if not (c.isspace() or c in _SEPARATORS))
    problem = None
    if not digits:
        problem = "it is empty"
    elif any(c.isalpha() for c in digits):
        problem = "letters are not allowed"
    elif "+" in digits[1:]:
        problem = "'+' may only come first"
    elif digits == "+":
        problem = "there are no digits after '+'"
    elif bad := next((c for c in digits.removeprefix("+") if not is_digits(c)), None):
        problem = f"{bad!r} is not allowed"
    if problem:
        raise NumberError(f"{text!r} is not a phone number: {problem}")
    return digits


def _read_short(text: str, digits: str, plan: NumberPlan) -> ReadNumber | None:
    if digits.startswith("+"):
        return None
    if emergency := emergency_number(digits, plan):
        return _short(text, digits, emergency, NumberClass.EMERGENCY, plan.region)
    if digits in plan.extensions:
        return _short(text, digits, digits, NumberClass.INTERNAL, None)
    if is_service_code(digits, plan.region):
        return _short(text, digits, digits, NumberClass.SERVICE, plan.region)
    return None


def _short(
    text: str, digits: str, short: str, number_class: NumberClass, region: str | None
) -> ReadNumber:
    return ReadNumber(
        text=text,
        digits=digits,
        number_class=number_class,
        short=short,
        region=region,
        display=short,
        description=_SHORT_DESCRIPTIONS[number_class],
    )


def as_written(text: str, plan: NumberPlan) -> str:
    """A number in E.164 when it reads as one; as it came otherwise (CLIR, odd formats)."""
    try:
        return read_number(text, plan).normal
    except NumberError:
        return text
