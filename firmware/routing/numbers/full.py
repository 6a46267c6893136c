"""Full numbers: from any of the ways people dial them to E.164 and a class."""

from __future__ import annotations

import re

import phonenumbers as pn
from phonenumbers import (
    NumberParseException,
    PhoneNumber,
    PhoneNumberFormat,
    PhoneNumberType,
    ValidationResult,
)

from firmware.routing.numbers.model import NumberClass, NumberError, NumberPlan, ReadNumber

_SERVICE_TYPES = frozenset(
    {
        PhoneNumberType.TOLL_FREE,
        PhoneNumberType.PREMIUM_RATE,
        PhoneNumberType.SHARED_COST,
        PhoneNumberType.UAN,
        PhoneNumberType.VOICEMAIL,
    }
)
_ITU_INTERNATIONAL_PREFIX = "00"
_WHY_INVALID = {
    ValidationResult.TOO_SHORT: "is too short to be a number",
    # Long enough to dial within an area, too short for a whole number.
    ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "is too short to be a number",
    ValidationResult.TOO_LONG: "is too long to be a number",
    ValidationResult.INVALID_LENGTH: "has the wrong number of digits for a number",
}


def read_full(text: str, digits: str, plan: NumberPlan) -> ReadNumber:
    number = _parse(text, digits, plan)
    _refuse_invalid(text, number)
    region = pn.region_code_for_number(number)
    own_country = region == plan.region
    kind = PhoneNumberType.to_string(pn.number_type(number)).lower().replace("_", " ")
    area = _area_code(number)
    return ReadNumber(
        text=text,
        digits=digits,
        number_class=_classify(number, plan),
        e164=pn.format_number(number, PhoneNumberFormat.E164),
        region=region,
        display=pn.format_number(
            number, PhoneNumberFormat.NATIONAL if own_country else PhoneNumberFormat.INTERNATIONAL
        ),
        description=f"{kind} in {region}" + (f", area code {area}" if area else ""),
    )


def _parse(text: str, digits: str, plan: NumberPlan) -> PhoneNumber:
    international = _after_international_prefix(digits, plan)
    try:
        if international is not None:
            return pn.parse("+" + international)
        return _as_local(digits, plan) or pn.parse(digits, plan.region)
    except NumberParseException as error:
        if error.error_type == NumberParseException.INVALID_COUNTRY_CODE:
            raise NumberError(f"{text!r} does not start with a country code") from None
        if error.error_type == NumberParseException.TOO_LONG:
            raise NumberError(f"{text!r} is too long to be a phone number") from None
        raise NumberError(f"{text!r} is too short to be a phone number") from None


def _refuse_invalid(text: str, number: PhoneNumber) -> None:
    """A misdial refused here costs nothing; at a trunk it costs a failed call attempt."""
    if pn.is_valid_number(number):
        return
    assert number.country_code is not None, "pn.parse always sets it"
    region = pn.region_code_for_country_code(number.country_code)
    why = _WHY_INVALID.get(pn.is_possible_number_with_reason(number), "is not a number in use")
    raise NumberError(f"{text!r} {why} in {region}")


def _after_international_prefix(digits: str, plan: NumberPlan) -> str | None:
    if digits.startswith("+"):
        return digits[1:]
    own = plan.metadata.international_prefix
    if own and (match := re.match(own, digits)):
        return digits[match.end() :]
    if digits.startswith(_ITU_INTERNATIONAL_PREFIX):
        return digits.removeprefix(_ITU_INTERNATIONAL_PREFIX)
    return None


def _as_local(digits: str, plan: NumberPlan) -> PhoneNumber | None:
    """A subscriber number in the plan's area, which needs no prefix, as on the public network.

    Digits that begin with the national prefix start a national number instead.
    """
    national_prefix = plan.metadata.national_prefix or ""
    if not plan.area_code or (national_prefix and digits.startswith(national_prefix)):
        return None
    try:
        number = pn.parse(national_prefix + plan.area_code + digits, plan.region)
    except NumberParseException:
        return None
    valid = pn.is_valid_number(number) and _area_code(number) == plan.area_code
    return number if valid else None


def _area_code(number: PhoneNumber) -> str:
    length = pn.length_of_geographical_area_code(number)
    return pn.national_significant_number(number)[:length]


def _classify(number: PhoneNumber, plan: NumberPlan) -> NumberClass:
    kind = pn.number_type(number)
    if pn.region_code_for_number(number) != plan.region:
        return NumberClass.INTERNATIONAL
    if kind in _SERVICE_TYPES:
        return NumberClass.SERVICE
    if kind == PhoneNumberType.MOBILE:
        return NumberClass.MOBILE
    if pn.is_number_geographical(number) and _area_code(number) == plan.area_code:
        return NumberClass.LOCAL
    return NumberClass.LONG_DISTANCE
