"""Where a transfer hands a call: an extension, a department, ICM, or a number outside.

The transferor names a number (a REFER's target, or the digits after
``[dialing] transfer``); it means here what it means when that extension
dials it, except that ICM's number, refused to an extension's own call, is
exactly where a receptionist sends a customer whose manager ICM knows. A
number outside goes out under the transferor's own outbound rights: a
transfer is no way around them.
"""

from __future__ import annotations

from firmware.config.schema import Config
from firmware.config.target import Kind, Target
from firmware.routing.dialplan import RingExtension
from firmware.routing.outbound import CallOut, route_dialed
from firmware.routing.outcome import Refusal

TransferTarget = Target | CallOut | Refusal


def transfer_target(config: Config, *, transferor: str, number: str) -> TransferTarget:
    """What ``number`` hands the call to; a Refusal says why it cannot be."""
    if config.extension(number) is not None:
        return Target(Kind.EXTENSION, number)
    if config.department(number) is not None:
        return Target(Kind.DEPARTMENT, number)
    if config.icm is not None and number == config.icm.number:
        return Target(Kind.ICM)
    decision = route_dialed(config, caller=transferor, dialed=number)
    if isinstance(decision, RingExtension):  # an extension written as a full number
        return Target(Kind.EXTENSION, decision.number)
    return decision
