"""Reading pbx.toml: a good file becomes a Config, a bad one a ConfigError listing every problem."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path as FilePath
from typing import Any

from pydantic import ValidationError

from firmware.config.errors import ConfigError, Problem, format_path, locate_line
from firmware.config.hardware import hardware_checks
from firmware.config.icm import CRM_SOURCES
from firmware.config.inbound import Step
from firmware.config.recording import recording_problems
from firmware.config.schema import Config
from firmware.config.target import Kind, Target
from firmware.routing.numbers import NumberClass, NumberError, NumberPlan, read_number

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)")


def load_config(path: str | FilePath) -> Config:
    path = FilePath(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), [Problem("(file)", f"cannot read: {exc}")]) from None
    return parse_config(text, str(path))


def parse_config(text: str, filename: str = "pbx.toml") -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(filename, [_syntax_problem(str(exc))]) from None
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        problems = [_validation_problem(err, text) for err in exc.errors()]
        raise ConfigError(filename, problems) from None
    problems = [
        Problem(format_path(p), msg, locate_line(text, p)) for p, msg in _cross_checks(config)
    ]
    if problems:
        raise ConfigError(filename, problems)
    return config


def _syntax_problem(message: str) -> Problem:
    where = _TOML_POSITION.search(message)
    if not where:
        return Problem("(syntax)", message)
    text = _TOML_POSITION.sub("", message)
    return Problem("(syntax)", f"{text} (column {where.group(2)})", int(where.group(1)))


def _validation_problem(err: Any, text: str) -> Problem:
    loc = tuple(err["loc"])
    kind = err["type"]
    if kind == "extra_forbidden":
        message = "unknown key (see docs/config.md for the keys this section takes)"
    elif kind == "missing":
        message = "required key is missing"
    elif kind == "string_pattern_mismatch":
        message = f"{err['input']!r} does not match the expected form {err['ctx']['pattern']}"
    else:
        message = err["msg"].removeprefix("Value error, ")
    return Problem(format_path(loc), message, locate_line(text, loc))


Found = list[tuple[tuple[str | int, ...], str]]


def _rtp_range(config: Config) -> Found:
    """Every leg in the engine takes an RTP and an RTCP port from [network]'s range."""
    net, legs = config.network, config.capacity.legs
    held = (net.rtp_port_max - net.rtp_port_min + 1) // 2
    if held >= legs:
        return []
    return [
        (
            ("network", "rtp_port_max"),
            f"the RTP ports {net.rtp_port_min}-{net.rtp_port_max} hold {held} legs, but "
            f"[capacity] calls = {config.capacity.calls} needs {legs}: set rtp_port_max to at "
            f"least {net.rtp_port_min + 2 * legs - 1} or lower calls",
        )
    ]


def _cross_checks(config: Config) -> Found:
    """Rules that span several entries, reported at the entry that breaks them."""
    found: Found = []
    found += _unique(config, "extensions", "number", [e.number for e in config.extensions])
    found += _unique(config, "trunks", "name", [t.name for t in config.trunks])
    found += _unique(config, "trunks", "username", [t.username for t in config.trunks])
    extensions = {e.number for e in config.extensions}
    for i, trunk in enumerate(config.trunks):
        if trunk.kind == "fxo" and trunk.username in extensions:
            found.append((("trunks", i, "username"), f"{trunk.username} is also an extension"))
    found += _rtp_range(config)
    found += _trunk_lists(config)
    found += _numbers(config)
    found += _inbound_checks(config)
    found += _icm(config)
    found += recording_problems(config, number_plan(config))
    found += hardware_checks(config, lambda path, target: _target(config, path, target))
    return found


def _unique(config: Config, table: str, key: str, values: list[str]) -> Found:
    found: Found = []
    seen: dict[str, int] = {}
    for i, value in enumerate(values):
        if value in seen:
            found.append(((table, i, key), f"{value} is already {table}[{seen[value]}]"))
        seen.setdefault(value, i)
    return found


def _trunk_lists(config: Config) -> Found:
    found: Found = []
    places: list[tuple[tuple[str | int, ...], list[str]]] = [
        (("outbound", "trunks"), config.outbound.trunks)
    ]
    places += [
        (("extensions", i, "outbound", "trunks"), e.outbound.trunks)
        for i, e in enumerate(config.extensions)
        if e.outbound is not None
    ]
    for path, names in places:
        for name in names:
            trunk = config.trunk(name)
            if trunk is None:
                found.append((path, f"no trunk named {name!r}"))
            elif trunk.inbound_only:
                found.append((path, f"trunk {name!r} is inbound_only: it never carries calls out"))
    return found


def _numbers(config: Config) -> Found:
    plan = number_plan(config)
    found: Found = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(config.numbers):
        try:
            e164 = read_number(entry.number, plan).normal
        except NumberError as exc:
            found.append((("numbers", i, "number"), str(exc)))
            continue
        if e164 in seen:
            found.append((("numbers", i, "number"), f"{e164} is already numbers[{seen[e164]}]"))
        seen.setdefault(e164, i)
        if config.trunk(entry.trunk) is None:
            found.append((("numbers", i, "trunk"), f"no trunk named {entry.trunk!r}"))
        if entry.destination is not None and config.extension(entry.destination) is None:
            found.append((("numbers", i, "destination"), f"no extension {entry.destination}"))
    for i, ext in enumerate(config.extensions):
        if ext.caller_id is not None:
            try:
                read_number(ext.caller_id, plan)
            except NumberError as exc:
                found.append((("extensions", i, "caller_id"), str(exc)))
    return found


def _inbound_checks(config: Config) -> Found:
    """Inbound tables that point at each other: every target must name something that exists.

    The rules match ``firmware.routing.scenarios.resolve``, which cannot be
    used here: routing imports this module for ``number_plan``.
    """
    found: Found = []
    found += _unique(config, "departments", "number", [d.number for d in config.departments])
    found += _unique(config, "menus", "name", [m.name for m in config.menus])
    found += _unique(config, "scenarios", "name", [s.name for s in config.scenarios])
    found += _departments(config)
    found += _conferences(config)
    found += [
        (("park", "announce_to", i), f"no extension {number}")
        for i, number in enumerate(config.park.announce_to)
        if config.extension(number) is None
    ]
    found += _mode_rules(config)
    for i, menu in enumerate(config.menus):
        for key, target in menu.keys.items():
            found += _target(config, ("menus", i, "keys", key), target)
        if menu.default is not None:
            found += _target(config, ("menus", i, "default"), menu.default)
    for i, scenario in enumerate(config.scenarios):
        for j, step in enumerate(scenario.steps):
            found += _step(config, ("scenarios", i, "steps", j), step)
    found += _number_scenarios(config)
    found += _run_loops(config)
    return found


def _target(config: Config, path: tuple[str | int, ...], target: Target) -> Found:
    kind, value = target.kind, target.value
    extension, department = config.extension(value), config.department(value)
    if kind is Kind.EXTENSION and extension is None:
        hint = f" ({value} is a department: department:{value})" if department else ""
        return [(path, f"no extension {value}{hint}")]
    if kind is Kind.DEPARTMENT and department is None:
        hint = f" ({value} is an extension: extension:{value})" if extension else ""
        return [(path, f"no department {value}{hint}")]
    if kind is Kind.VOICEMAIL and extension is None and department is None:
        return [(path, f"no mailbox {value}: a mailbox is an extension or a department number")]
    if kind is Kind.ICM and config.icm is None:
        return [(path, "icm needs an [icm] section")]
    if (kind is Kind.MENU and config.menu(value) is None) or (
        kind is Kind.SCENARIO and config.scenario(value) is None
    ):
        return [(path, f"no {kind} named {value!r}")]
    return []


def _step(config: Config, path: tuple[str | int, ...], step: Step) -> Found:
    if step.kind == "icm" and config.icm is None:
        return [((*path, "kind"), "an icm step needs an [icm] section")]
    if step.target is not None:
        return _target(config, (*path, "target"), step.target)
    if step.menu is not None:
        return _target(config, (*path, "menu"), Target(Kind.MENU, step.menu))
    if step.scenario is not None:
        return _target(config, (*path, "scenario"), Target(Kind.SCENARIO, step.scenario))
    if step.mailbox is not None:
        return _target(config, (*path, "mailbox"), Target(Kind.VOICEMAIL, step.mailbox))
    if step.department is not None:
        department = config.department(step.department)
        if department is not None and not department.queue.enabled:
            why = f"department {step.department}'s queue is off (queue.enabled = false)"
            return [((*path, "department"), why)]
        return _target(config, (*path, "department"), Target(Kind.DEPARTMENT, step.department))
    if step.number is not None:
        try:
            number = read_number(step.number, number_plan(config))
        except NumberError as exc:
            return [((*path, "number"), str(exc))]
        if number.number_class is NumberClass.INTERNAL:
            why = f"{number.normal} is an extension: ring it with a dial step"
            return [((*path, "number"), why)]
    return []


def _icm(config: Config) -> Found:
    """ICM's number is its own, and every extension it names exists."""
    icm = config.icm
    if icm is None:
        return []
    found: Found = []
    owners = {t.username: "an analog line's adapter" for t in config.trunks if t.kind == "fxo"}
    owners |= {d.number: "a department" for d in config.departments}
    owners |= {e.number: "an extension" for e in config.extensions}
    if icm.number in owners:
        found.append((("icm", "number"), f"{icm.number} is already {owners[icm.number]}"))
    found += [
        (("icm", "exceptions", i), f"no extension {number}")
        for i, number in enumerate(icm.exceptions)
        if config.extension(number) is None
    ]
    for i, source in enumerate(icm.sources):
        if source != "history" and icm.crm(source) is None:
            found.append((("icm", "sources", i), f"{source} is listed but has no [icm.{source}]"))
    for name in CRM_SOURCES:
        crm = icm.crm(name)
        found += [
            (("icm", name, "users", user), f"no extension {number}")
            for user, number in (crm.users.items() if crm else ())
            if config.extension(number) is None
        ]
    if icm.default is not None:
        found += _target(config, ("icm", "default"), icm.default)
    return found


def _departments(config: Config) -> Found:
    found: Found = []
    for i, department in enumerate(config.departments):
        if config.extension(department.number) is not None:
            found.append((("departments", i, "number"), f"{department.number} is an extension"))
        for j, member in enumerate(department.members):
            if config.extension(member) is None:
                found.append((("departments", i, "members", j), f"no extension {member}"))
            elif member in department.members[:j]:
                found.append((("departments", i, "members", j), f"{member} is listed twice"))
        if department.queue.overflow is not None:
            path = ("departments", i, "queue", "overflow")
            found += _target(config, path, department.queue.overflow)
    return found


def _conferences(config: Config) -> Found:
    """A room's number is its own: no extension, department or other room has it."""
    owners = {e.number: "an extension" for e in config.extensions}
    owners |= {d.number: "a department" for d in config.departments}
    found: Found = []
    for i, room in enumerate(config.conferences):
        if room.number in owners:
            found.append((("conferences", i, "number"), f"{room.number} is {owners[room.number]}"))
        owners[room.number] = "another conference room"
    return found


def _mode_rules(config: Config) -> Found:
    found: Found = [
        (("modes", "may_force", i), f"no extension {number}")
        for i, number in enumerate(config.modes.may_force)
        if config.extension(number) is None
    ]
    if "0" in config.modes.force_keys:
        why = "0 after the feature code returns to the schedule; force with another key"
        found.append((("modes", "force_keys", "0"), why))
    return found


def _number_scenarios(config: Config) -> Found:
    found: Found = []
    known = config.modes.known_names
    for i, entry in enumerate(config.numbers):
        if entry.scenario is not None:
            where = Target(Kind.SCENARIO, entry.scenario)
            found += _target(config, ("numbers", i, "scenario"), where)
        for mode, name in (entry.scenarios or {}).items():
            path = ("numbers", i, "scenarios", mode)
            if mode not in known:
                found.append((path, f"no mode {mode!r} (modes: {', '.join(known)})"))
            found += _target(config, path, Target(Kind.SCENARIO, name))
    return found


def _run_loops(config: Config) -> Found:
    """A scenario that runs itself, directly or through others, would never end: name the loop."""
    runs: dict[str, list[tuple[str, tuple[str | int, ...]]]] = {}
    for i, scenario in enumerate(config.scenarios):
        runs.setdefault(
            scenario.name,
            [
                (step.scenario, ("scenarios", i, "steps", j, "scenario"))
                for j, step in enumerate(scenario.steps)
                if step.kind == "run" and step.scenario is not None
            ],
        )
    found: Found = []
    done: set[str] = set()

    def visit(trail: list[str]) -> None:
        for name, path in runs[trail[-1]]:
            if name in trail:
                loop = [*trail[trail.index(name) :], name]
                found.append((path, f"run steps loop: {' -> '.join(loop)}"))
            elif name in runs and name not in done:
                visit([*trail, name])
        done.add(trail[-1])

    for name in runs:
        if name not in done:
            visit([name])
    return found


def number_plan(config: Config) -> NumberPlan:
    """How this box reads numbers: its region, its area code and its extensions."""
    return NumberPlan(
        region=config.system.region,
        area_code=config.system.area_code,
        extensions=frozenset(e.number for e in config.extensions),
    )
