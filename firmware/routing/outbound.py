"""Calls to the outside: which numbers an extension may dial, on which lines, as whom.

The order of the checks is the order a caller would want: emergency numbers go
out whatever the rules say; then the number must be readable, its class
allowed for the extension, and the extension within its toll-fraud limits.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers as pn

from firmware.config.load import number_plan
from firmware.config.schema import Config, Extension, Outbound
from firmware.routing.dialplan import RingExtension, route_call
from firmware.routing.limits import over_limit
from firmware.routing.numbers import NumberClass, NumberError, ReadNumber, read_number
from firmware.routing.outcome import Disposition, Refusal
from firmware.routing.toneplans import Tone


@dataclass(frozen=True)
class CallOut:
    """Dial ``number`` on the first free trunk of ``trunks`` (in preference order)."""

    number: ReadNumber
    trunks: tuple[str, ...]

    @property
    def emergency(self) -> bool:
        return self.number.number_class is NumberClass.EMERGENCY


Decision = RingExtension | CallOut | Refusal


def not_allowed(why: str) -> Refusal:
    return Refusal(403, "Forbidden", Tone.CONGESTION, Disposition.FAILED, why, prompt="not_allowed")


def route_dialed(config: Config, *, caller: str, dialed: str) -> Decision:
    """What a number dialed on an extension means: another extension or an outside call."""
    if config.extension(dialed) is not None:
        return route_call(config, caller=caller, dialed=dialed)
    outside = _outside_text(config, dialed)
    if outside is None:
        return route_call(config, caller=caller, dialed=dialed)
    try:
        number = read_number(outside, number_plan(config))
    except NumberError as exc:
        return Refusal(
            484,
            "Address Incomplete",
            Tone.UNOBTAINABLE,
            Disposition.FAILED,
            str(exc),
            prompt="number_invalid",
        )
    extension = config.extension(caller)
    if number.number_class is NumberClass.INTERNAL:
        return route_call(config, caller=caller, dialed=number.normal)
    if number.number_class is NumberClass.EMERGENCY:
        return CallOut(number, _emergency_trunks(config, extension))
    if extension is None:
        return not_allowed(f"{caller} is not an extension")
    rules = config.outbound_for(extension)
    if number.number_class.value not in rules.allow:
        return not_allowed(f"{number.number_class} calls are not allowed for {caller}")
    return CallOut(number, permitted_trunks(config, rules))


def _outside_text(config: Config, dialed: str) -> str | None:
    """The outside number in what was dialed, or None when it is not meant for a line."""
    prefix = config.dialing.outside_prefix
    if prefix and dialed.startswith(prefix) and len(dialed) > len(prefix):
        return dialed[len(prefix) :]
    try:
        number = read_number(dialed, number_plan(config))
    except NumberError:
        return None
    if number.number_class is NumberClass.EMERGENCY:
        return dialed
    if config.dialing.direct_national and number.number_class is not NumberClass.INTERNAL:
        return dialed
    return None


def permitted_trunks(config: Config, rules: Outbound) -> tuple[str, ...]:
    names = rules.trunks or [t.name for t in config.trunks]
    return tuple(n for n in names if (t := config.trunk(n)) is not None and not t.inbound_only)


def _emergency_trunks(config: Config, extension: Extension | None) -> tuple[str, ...]:
    """The extension's own lines first, then every other line, reserved ones included."""
    own = permitted_trunks(config, config.outbound_for(extension)) if extension else ()
    return own + tuple(t.name for t in config.trunks if t.name not in own)


def limit_refusal(rules: Outbound, *, active: int, last_hour: int) -> Refusal | None:
    """Toll-fraud limits: a stolen password must not become a night of premium calls."""
    why = over_limit(rules.max_calls, active, "simultaneous outside calls") or over_limit(
        rules.max_per_hour, last_hour, "outside calls per hour"
    )
    if why is None:
        return None
    return Refusal(
        403, "Forbidden", Tone.CONGESTION, Disposition.FAILED, why, prompt="limit_reached"
    )


def number_for_trunk(number: ReadNumber, trunk_format: str, region: str) -> str:
    """The digits a line expects: providers differ on '+'; an analog line in ``region``
    is dialed the way a landline there is (RU: 8 for national, 810 for abroad)."""
    if number.e164 is None:
        return number.normal
    if trunk_format == "plus":
        return number.e164
    if trunk_format == "national":
        dialed = pn.format_out_of_country_calling_number(pn.parse(number.e164), region)
        return "".join(c for c in dialed if c.isdigit())
    return number.e164.lstrip("+")


def caller_id(config: Config, caller: str, trunk_name: str) -> str | None:
    """The number the outside world sees: the extension's own where the trunk allows it."""
    trunk = config.trunk(trunk_name)
    extension = config.extension(caller)
    if trunk is None:
        return None
    if trunk.extension_caller_id and extension is not None and extension.caller_id:
        return extension.caller_id
    return trunk.caller_id
