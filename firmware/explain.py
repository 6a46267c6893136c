"""``minipbx number``: how the box reads a number, and what it would do with it from an extension.

Installers use it to check their rules, so it runs the routing code the engine
runs. Which trunk would carry a call depends on the lines' state now, which
only the running engine knows; without it the answer says so.
"""

from __future__ import annotations

from typing import Any

from firmware.config import Config
from firmware.config.load import number_plan
from firmware.routing.dialplan import RingExtension
from firmware.routing.lines import LineState, NoLine, choose_trunk
from firmware.routing.numbers import read_number
from firmware.routing.outbound import CallOut, route_dialed


def read(config: Config, text: str) -> dict[str, Any]:
    """Raises NumberError with the reason when ``text`` cannot be a number."""
    number = read_number(text, number_plan(config))
    return {
        "text": text,
        "e164": number.e164,
        "short": number.short,
        "class": number.number_class.value,
        "display": number.display,
        "description": number.description,
    }


def from_extension(
    config: Config, caller: str, dialed: str, lines: dict[str, LineState] | None
) -> dict[str, Any]:
    decision = route_dialed(config, caller=caller, dialed=dialed)
    if isinstance(decision, RingExtension):
        return {"allowed": True, "decision": "internal", "extension": decision.number}
    if not isinstance(decision, CallOut):
        return {"allowed": False, "decision": "refused", "why": decision.why}
    answer: dict[str, Any] = {
        "allowed": True,
        "decision": "outside",
        "e164": decision.number.normal,
        "class": decision.number.number_class.value,
        "trunks": list(decision.trunks),
    }
    if not decision.trunks:
        answer["trunk_now"] = None
        answer["why"] = "no line may carry it: no trunks are configured or permitted"
        return answer
    if lines is None:
        answer["trunk_now"] = None
        answer["why"] = "the engine is not running, so the lines' state is unknown"
        return answer
    chosen = choose_trunk(decision.trunks, lines, 0)
    if isinstance(chosen, NoLine):
        answer["trunk_now"] = None
        answer["why"] = {
            NoLine.ALL_BUSY: "every permitted line is busy now (the caller may queue for one)",
            NoLine.ALL_DOWN: "no permitted line is up now",
        }[chosen]
    else:
        answer["trunk_now"] = chosen
    return answer


def render(answer: dict[str, Any]) -> str:
    lines = [f"{key}: {value}" for key, value in answer.items() if value not in (None, "")]
    return "\n".join(lines)
