"""Short numbers: the emergency numbers and service codes of the region.

phonenumbers' short-number metadata is the source; the few numbers it lacks
are listed here, each with the reason.
"""

from __future__ import annotations

import phonenumbers as pn
from phonenumbers import NumberParseException, shortnumberinfo

from firmware.routing.numbers.model import NumberPlan

# phonenumbers 9.0 knows Russia's gas emergency number (104, formerly 04) only
# as a short code, not as an emergency number.
_EXTRA_EMERGENCY: dict[str, frozenset[str]] = {"RU": frozenset({"104", "04"})}
# phonenumbers 9.0 does not know Russia's speaking clock.
_EXTRA_SERVICE: dict[str, frozenset[str]] = {"RU": frozenset({"100"})}


def emergency_number(digits: str, plan: NumberPlan) -> str | None:
    """The emergency number these digits reach: what a trunk must be sent, not the extra digits.

    The public network connects as soon as an emergency number is complete, so
    1120 reaches 112, unless 1120 is one of the office's extensions.
    """
    if _is_emergency(digits, plan.region):
        return digits
    if digits in plan.extensions:
        return None
    extra = tuple(_EXTRA_EMERGENCY.get(plan.region, ()))
    if not (
        shortnumberinfo.connects_to_emergency_number(digits, plan.region)
        or digits.startswith(extra)
    ):
        return None
    prefixes = (digits[:n] for n in range(2, len(digits)))
    # Should phonenumbers ever match on something other than a whole emergency
    # number, the dialed digits are still sent: better than refusing the call.
    return next((p for p in prefixes if _is_emergency(p, plan.region)), digits)


def is_service_code(digits: str, region: str) -> bool:
    if digits in _EXTRA_SERVICE.get(region, ()):
        return True
    try:
        number = pn.parse(digits, region)
    except NumberParseException:
        return False
    # parse() may drop a national prefix; what is left is not the code dialed.
    dialed_as_is = pn.national_significant_number(number) == digits
    return dialed_as_is and shortnumberinfo.is_valid_short_number_for_region(number, region)


def _is_emergency(number: str, region: str) -> bool:
    extra = _EXTRA_EMERGENCY.get(region, frozenset())
    return number in extra or shortnumberinfo.is_emergency_number(number, region)
