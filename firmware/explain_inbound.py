"""``minipbx explain --to NUMBER``: what the box would do with a call to one of its numbers.

Installers check their modes, scenarios and menus with it before a customer
calls, so it runs the routing code the engine runs (``routing.modes``,
``routing.scenarios``, ``routing.departments``) and makes no call. A mode
forced by feature code lives only in the running engine; the CLI asks it and
passes the override in, or says why there is none.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from typing import Any

from firmware import icm_lookup
from firmware.config import Config
from firmware.config.inbound import Step
from firmware.config.load import number_plan
from firmware.config.target import HANGUP, Kind, Target
from firmware.routing import icm
from firmware.routing.departments import plan_length
from firmware.routing.icm import Presence
from firmware.routing.modes import ModeOverride, next_change
from firmware.routing.numbers import NumberError, read_number
from firmware.routing.scenarios import (
    MAX_RUN_DEPTH,
    greeting_prompt,
    inbound_plan,
    local_time,
    owned_number,
    resolve,
)
from firmware.store.voicemail import Mailboxes


def explain_call(
    config: Config,
    to: str,
    *,
    caller: str | None,
    at: datetime,
    override: ModeOverride | None,
    override_note: str,
) -> dict[str, Any]:
    """The answer as data; raises NumberError when ``to`` cannot be a number."""
    plan = number_plan(config)
    local = local_time(config, at)
    answer: dict[str, Any] = {"to": to, "number": read_number(to, plan).normal}
    if caller is not None:
        answer["from"] = _caller(config, caller)
    answer["at"] = local.isoformat(timespec="minutes")
    answer["timezone"] = config.system.timezone
    inbound = inbound_plan(config, to, local, override)
    entry = owned_number(config, to)
    change = next_change(config.modes, local)
    if inbound is None or entry is None:
        answer["owned"] = False
        answer["says"] = "the box does not own this number: the call is refused (404)"
        return answer
    answer |= {
        "owned": True,
        "entry": config.numbers.index(entry),
        "trunk": entry.trunk,
        "mode": inbound.mode,
        "why": inbound.why,
        "override": override_note,
        "next_change": change.isoformat(timespec="minutes") if change else None,
    }
    if inbound.destination is not None:
        answer["destination"] = _target(config, Target(Kind.EXTENSION, inbound.destination))
        return answer
    answer["scenario"] = inbound.scenario
    answer["steps"] = _steps(config, inbound.scenario or "", local, depth=0)
    return answer


def _caller(config: Config, caller: str) -> dict[str, Any]:
    try:
        number = read_number(caller, number_plan(config))
    except NumberError as exc:
        return {"text": caller, "error": str(exc)}
    return {"text": caller, "normal": number.normal, "class": number.number_class.value}


def _steps(config: Config, name: str, at: datetime, depth: int) -> list[dict[str, Any]]:
    scenario = config.scenario(name)
    steps = scenario.steps if scenario else []
    return [_step(config, n, step, at, depth) for n, step in enumerate(steps, start=1)]


def _step(config: Config, n: int, step: Step, at: datetime, depth: int) -> dict[str, Any]:
    out: dict[str, Any] = {"step": n, "kind": step.kind}
    if step.kind == "greeting":
        out["prompt"] = greeting_prompt(step, at)
        out["says"] = f"greeting: plays {out['prompt']}"
    elif step.kind == "menu":
        out |= _menu(config, step.menu or "")
    elif step.kind == "dial":
        out["target"] = _target(config, step.target or HANGUP, step.ring_timeout)
        out["says"] = f"dial {out['target']['says']}"
    elif step.kind == "queue":
        out |= _queue(config, step.department or "")
    elif step.kind == "voicemail":
        out["target"] = _target(config, Target(Kind.VOICEMAIL, step.mailbox or ""))
        out["says"] = out["target"]["says"]
    elif step.kind == "forward":
        out |= _forward(config, step)
    elif step.kind == "icm":
        sources = ", ".join(config.icm.sources) if config.icm else "none"
        ring = icm.ring_timeout(config, step)
        out["says"] = (
            f"icm: rings the manager its sources ({sources}) name for the caller, {ring:g} s; "
            "nobody found, busy or no answer: the next step"
        )
    elif step.kind == "run":
        out["scenario"] = step.scenario
        out["says"] = f"run scenario {step.scenario} (the call does not come back)"
        if depth < MAX_RUN_DEPTH:
            out["steps"] = _steps(config, step.scenario or "", at, depth + 1)
    else:
        out["says"] = "hang up"
    return out


def _menu(config: Config, name: str) -> dict[str, Any]:
    menu = config.menu(name)
    if menu is None:
        return {"menu": name, "says": f"menu {name} (does not exist)"}
    keys = [{"key": k, **_target(config, t)} for k, t in menu.keys.items()]
    direct = ", direct dial of extensions and departments" if menu.direct_dial else ""
    default = _target(config, menu.default)["says"] if menu.default else "the next step"
    return {
        "menu": name,
        "prompt": menu.prompt,
        "keys": keys,
        "direct_dial": menu.direct_dial,
        "timeout": menu.timeout,
        "max_invalid": menu.max_invalid,
        "default": str(menu.default) if menu.default else None,
        "says": f"menu {name}: plays {menu.prompt}, waits {menu.timeout:g} s{direct}; "
        f"nothing or {menu.max_invalid} wrong keys: {default}",
    }


def _forward(config: Config, step: Step) -> dict[str, Any]:
    ring = step.ring_timeout or config.calls.ring_timeout
    try:
        number = read_number(step.number or "", number_plan(config))
    except NumberError as exc:
        return {"number": step.number, "error": str(exc), "says": f"forward: {exc}"}
    return {
        "number": number.normal,
        "class": number.number_class.value,
        "ring_timeout": ring,
        "says": f"forward to {number.normal} ({number.number_class.value}), rings {ring:g} s",
    }


def _target(config: Config, where: Target, ring_timeout: float | None = None) -> dict[str, Any]:
    """A target with what it names, and a line saying so."""
    kind, value = where.kind, where.value
    out: dict[str, Any] = {"target": str(where)}
    if not resolve(config, where).exists:
        out["says"] = f"{where} (does not exist)"
    elif kind is Kind.EXTENSION:
        extension = config.extension(value)
        ring = ring_timeout or config.calls.ring_timeout
        out |= {"name": extension.name if extension else "", "ring_timeout": ring}
        out["says"] = f"extension {value} ({out['name']}), rings {ring:g} s"
    elif kind is Kind.DEPARTMENT:
        out |= _department(config, value, ring_timeout)
    elif kind is Kind.VOICEMAIL:
        emails = Mailboxes.mailbox_email(config, value)
        out |= {"mailbox": value, "email": emails}
        mailed = f", mailed to {', '.join(emails)}" if emails else ""
        out["says"] = f"voicemail box {value}{mailed}"
    elif kind is Kind.HANGUP:
        out["says"] = "hang up"
    elif kind is Kind.ICM:
        out["says"] = "icm: the manager who knows the caller, else the next step"
    else:
        out["says"] = f"{kind} {value}"
    return out


def _department(config: Config, number: str, ring_timeout: float | None) -> dict[str, Any]:
    department = config.department(number)
    if department is None:
        return {"says": f"department {number} (does not exist)"}
    members = [
        {"number": m, "name": e.name if (e := config.extension(m)) else ""}
        for m in department.members
    ]
    rings = plan_length(department, department.members, ring_timeout)
    how = {
        "all": "all members at once",
        "sequential": f"one member after another, {department.step:g} s each",
        "increasing": f"one more member every {department.step:g} s",
    }[department.strategy]
    who = ", ".join(f"{m['number']} {m['name']}" for m in members)
    return {
        "name": department.name,
        "strategy": department.strategy,
        "step": department.step,
        "ring_timeout": department.ring_timeout,
        "members": members,
        "rings_for": rings,
        "says": f"department {number} ({department.name}): {how} ({who}); "
        f"with everyone free it rings {rings:g} s",
    }


def _queue(config: Config, number: str) -> dict[str, Any]:
    department = config.department(number)
    if department is None:
        return {"department": number, "says": f"queue for department {number} (does not exist)"}
    queue = department.queue
    callback = f", press {queue.callback_key} to be called back" if queue.offer_callback else ""
    return {
        "department": number,
        "name": department.name,
        "members": list(department.members),
        "queue": queue.model_dump(),
        "says": f"queue for department {number} ({department.name}), the member idle longest "
        f"answers: up to {queue.max_length} callers, {queue.max_wait:g} s at most, then "
        f"{queue.overflow or 'the next step'}; position every {queue.announce_every:g} s"
        f"{callback}",
    }


def icm_decision(
    config: Config,
    caller: str,
    *,
    store: sqlite3.Connection,
    at: datetime,
    presence: Presence,
    offline: bool = False,
) -> dict[str, Any]:
    """What ICM would decide for ``caller`` at ``at``, asking the sources as a call would
    (``offline``: the box's history only, no CRM asked)."""
    rules = icm.IcmRules.of(config)
    lookup = icm_lookup.IcmLookup(config.icm)
    try:
        number, answers = lookup.ask(rules, caller, store=store, now=at, offline=offline)
    finally:
        lookup.close()
    decision = icm.decide(caller, number, answers, rules, presence)
    trail = [asdict(entry) for entry in decision.trail]
    found = f"{decision.extension} (from {decision.source})"
    if decision.action == "ring":
        says = f"rings {found}"
    elif decision.extension:
        why = next(e["why"] for e in trail if e["extension"] == decision.extension)
        says = f"found {found}, who cannot take it now ({why}): the next step"
    elif decision.action == "default":
        says = f"found nobody: {_target(config, decision.target or HANGUP)['says']}"
    else:
        says = "found nobody: the next step"
    return {
        "number": number,
        "action": decision.action,
        "extension": decision.extension,
        "source": decision.source,
        "target": str(decision.target) if decision.target else None,
        "trail": trail,
        "says": says,
    }


def render(answer: dict[str, Any]) -> str:
    """The answer for a person: one line per fact, steps indented under their scenario."""
    lines = [f"call to {answer['to']}: {answer['number']}"]
    if "from" in answer:
        caller = answer["from"]
        read = caller.get("error") or f"{caller['normal']} ({caller['class']})"
        lines.append(f"from {caller['text']}: {read}")
    lines.append(
        f"at {datetime.fromisoformat(answer['at']):%A %Y-%m-%d %H:%M} ({answer['timezone']})"
    )
    if not answer["owned"]:
        return "\n".join([*lines, answer["says"]])
    lines.append(f"number: numbers[{answer['entry']}], trunk {answer['trunk']}")
    lines.append(f"mode: {answer['mode']} ({answer['why']}); {answer['override']}")
    if answer["next_change"]:
        change = datetime.fromisoformat(answer["next_change"])
        lines.append(f"the schedule next changes {change:%A %Y-%m-%d %H:%M}")
    if "destination" in answer:
        lines.append(f"destination: {answer['destination']['says']}")
        return "\n".join(lines)
    lines.append(f"scenario: {answer['scenario']}")
    _render_steps(answer["steps"], "  ", lines)
    if "icm" in answer:
        lines.append(f"icm for this caller now: {answer['icm']['says']}")
        lines += [f"  {_trail_line(entry)}" for entry in answer["icm"]["trail"]]
    return "\n".join(lines)


def _trail_line(entry: dict[str, Any]) -> str:
    extension = f" {entry['extension']}" if entry["extension"] else ""
    why = f" ({entry['why']})" if entry["why"] else ""
    return f"{entry['source']}: {entry['verdict']}{extension}{why}"


def _render_steps(steps: list[dict[str, Any]], indent: str, lines: list[str]) -> None:
    for step in steps:
        lines.append(f"{indent}{step['step']}. {step['says']}")
        for key in step.get("keys", []):
            lines.append(f"{indent}     {key['key']} -> {key['says']}")
        _render_steps(step.get("steps", []), indent + "     ", lines)


def override_at(
    at: datetime, *, now: datetime, status: Callable[[], dict[str, Any] | None]
) -> tuple[ModeOverride | None, str]:
    """The forced mode that applies at ``at``: the running box's (asked through
    ``status`` only then) for ``now`` or later; none for a time already past."""
    if at < now:
        return None, "a past time: a mode forced now is not applied"
    return running_override(status())


def running_override(status: dict[str, Any] | None) -> tuple[ModeOverride | None, str]:
    """The forced mode in the engine's ``status`` answer, and a note on where it came from.

    Read from ``"mode": {"mode": ..., "why": ..., "override": null | {"mode": "day",
    "until": ISO-8601 with offset | null, "by": "100" | null}}``. Without
    ``override`` the engine's own words on its mode now are passed on, but
    nothing is assumed for the instant explained.
    """
    if status is None:
        return None, "no override assumed: the engine is not running"
    report = status.get("mode")
    if not isinstance(report, dict):
        return None, "no override assumed: the engine does not report its mode"
    if "override" not in report:
        now = f"{report.get('mode')} ({report.get('why')})"
        return None, f"no override assumed: the running box is in {now} and reports no override"
    forced = report["override"]
    if not forced:
        return None, "no mode is forced on the running box"
    until = datetime.fromisoformat(forced["until"]) if forced.get("until") else None
    return ModeOverride(forced["mode"], until, forced.get("by")), "forced on the running box"
