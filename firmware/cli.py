"""The ``minipbx`` command: run the box, inspect it, and change its configuration safely."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from firmware.config import Config, ConfigError, load_config
from firmware.config.sample import write_sample_if_missing
from firmware.home import Home

if TYPE_CHECKING:
    from firmware.routing.icm import Presence
    from firmware.sipedge.bans import Bans


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="minipbx", description=__doc__)
    parser.add_argument("--home", help="the box's data directory (default $MINIPBX_HOME or ./var)")
    parser.add_argument(
        "--version", action="store_true", help="the firmware, its pjproject and the legs it holds"
    )
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help="start Kamailio and the engine in the foreground")
    commands.add_parser("engine", help="run only the engine (Kamailio runs elsewhere)")
    commands.add_parser("web", help="run only the web UI, on [web] address and port")
    cdr = commands.add_parser("cdr", help="recent calls")
    cdr.add_argument("--json", action="store_true", help="print a JSON list")
    cdr.add_argument("--limit", type=int, default=50)
    config = commands.add_parser("config", help="check a pbx.toml")
    config_commands = config.add_subparsers(dest="config_command", required=True)
    check = config_commands.add_parser("check", help="validate a file; changes nothing")
    check.add_argument("file", type=Path)
    commands.add_parser("reload", help="apply pbx.toml to the running box (same as SIGHUP)")
    number = commands.add_parser(
        "number",
        help="how the box reads a number; with --from, "
        "whether that extension may dial it and on which line",
    )
    number.add_argument("text", help="a number as dialed or written")
    number.add_argument("--from", dest="caller", metavar="EXT", help="the extension dialing")
    number.add_argument("--json", action="store_true", help="print a JSON object")
    explain = commands.add_parser(
        "explain", help="what the box would do with a call to one of its numbers"
    )
    explain.add_argument("--to", required=True, metavar="NUMBER", help="the number called")
    explain.add_argument("--from", dest="caller", metavar="CALLER", help="the calling number")
    explain.add_argument(
        "--at", metavar="ISO-TIME", help="when (default now; no zone: the box's time zone)"
    )
    explain.add_argument("--json", action="store_true", help="print a JSON object")
    explain.add_argument(
        "--offline", action="store_true", help="ICM asks the box's history only, no CRM"
    )
    status = commands.add_parser("status", help="the running box: calls in progress, bans")
    status.add_argument("--json", action="store_true", help="print a JSON object")
    bans = commands.add_parser("bans", help="source addresses banned and extensions locked")
    bans.add_argument("--json", action="store_true", help="print a JSON object")
    unban = commands.add_parser("unban", help="lift a ban on an address or a lock on an extension")
    unban.add_argument("target", metavar="ADDRESS|EXTENSION")
    commands.add_parser("devices", help="provisioned adapters and phones: files, credentials")
    report = commands.add_parser("report", help="analytics over the stored calls")
    report.add_argument("what", choices=["scenarios"], help="scenarios: call scenario passes")
    report.add_argument(
        "--since", metavar="ISO", help="from this time on (no zone: the box's time zone)"
    )
    report.add_argument("--until", metavar="ISO", help="before this time")
    report.add_argument(
        "--by",
        choices=["number", "call_type", "termination", "operation", "group"],
        help="split each scenario's figures by this",
    )
    report.add_argument("--json", action="store_true", help="print a JSON list")
    args = parser.parse_args(argv)
    if args.version:
        return _version()
    if args.command is None:
        parser.error("a command is required")
    home = Home.from_env(args.home)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    handler = {
        "run": _run,
        "engine": _engine,
        "web": _web,
        "cdr": _cdr,
        "config": _config_check,
        "reload": _reload,
        "status": _status,
        "bans": _bans,
        "unban": _unban,
        "number": _number,
        "explain": _explain,
        "report": _report,
        "devices": _devices,
    }[args.command]
    return handler(home, args)


def _load(path: Path) -> Config | None:
    try:
        return load_config(path)
    except ConfigError as exc:
        print(exc.render(), file=sys.stderr)
        print(f"minipbx: {path} refused; nothing was changed", file=sys.stderr)
        return None


def _run(home: Home, args: argparse.Namespace) -> int:
    from firmware.supervisor import PortBusyError, run_box

    if write_sample_if_missing(home.config):
        print(f"minipbx: wrote the sample office to {home.config}", file=sys.stderr)
    config = _load(home.config)
    if config is None:
        return 1

    def ready() -> None:
        net = config.network
        print(
            f"minipbx: {config.system.name} is up. Phones register to "
            f"{net.sip_address}:{net.sip_port} (UDP or TCP), domain {config.system.sip_domain};\n"
            f"         extensions and passwords are in {home.config}. Ctrl-C stops the box.",
            file=sys.stderr,
        )

    try:
        return run_box(config, home, on_ready=ready)
    except PortBusyError as exc:
        print(f"minipbx: {exc}", file=sys.stderr)
        return 1


def _version() -> int:
    from importlib.metadata import version

    import pjsua2 as pj

    from firmware.engine.capacity import BindingLimits

    limits = BindingLimits.of(pj.Endpoint())
    print(
        f"minipbx {version('minipbx')}, pjproject {limits.pjproject}: {limits.legs} legs, "
        f"{limits.accounts} accounts, {limits.players} players, {limits.media_ports} media ports"
    )
    return 0


def _engine(home: Home, args: argparse.Namespace) -> int:
    from firmware.config.last_good import load_for_engine
    from firmware.engine.endpoint import CapacityError
    from firmware.engine.engine import Engine

    try:
        config = load_for_engine(home.config, home.last_good_config)
    except ConfigError as exc:
        print(exc.render(), file=sys.stderr)
        print(f"minipbx: {home.config} refused, no last good copy to serve with", file=sys.stderr)
        return 1
    try:
        Engine(config, home).run()
    except CapacityError as exc:
        print(f"minipbx: {home.config}: {exc}", file=sys.stderr)
        return 1
    return 0


def _web(home: Home, args: argparse.Namespace) -> int:
    from firmware.config.last_good import load_for_engine
    from web_ui.server import serve

    try:
        config = load_for_engine(home.config, home.last_good_config)
    except ConfigError as exc:
        print(exc.render(), file=sys.stderr)
        return 1
    return serve(home, config)


def _cdr(home: Home, args: argparse.Namespace) -> int:
    from firmware.store.cdr import CallRecords
    from firmware.store.db import connect

    records = CallRecords(connect(home.store)).recent(args.limit)
    if args.json:
        print(json.dumps(records, indent=2, ensure_ascii=False))
        return 0
    for r in records:
        talk = f"{r['talk_seconds']:.0f}s" if r["talk_seconds"] is not None else "-"
        print(
            f"{r['started_at'][:19]}  {r['caller']:>6} -> {r['callee']:<16} "
            f"{r['disposition'] or 'in progress':<12} {talk:>6}  {r['hangup_by'] or ''}"
        )
    return 0


def _report(home: Home, args: argparse.Namespace) -> int:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from firmware.store.analytics import render_report, scenario_report
    from firmware.store.db import connect

    try:
        since, until = (datetime.fromisoformat(t) if t else None for t in (args.since, args.until))
    except ValueError as exc:
        print(f"minipbx: --since/--until: {exc}", file=sys.stderr)
        return 2
    if any(t is not None and t.tzinfo is None for t in (since, until)):
        config = _load(home.config)
        if config is None:
            return 1
        zone = ZoneInfo(config.system.timezone)
        since, until = (t.replace(tzinfo=t.tzinfo or zone) if t else None for t in (since, until))
    rows = scenario_report(connect(home.store), since=since, until=until, by=args.by)
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        print(render_report(rows, args.by))
    return 0


def _config_check(home: Home, args: argparse.Namespace) -> int:
    from firmware.prompts import BUILT_DIR
    from firmware.prompts.check import prompt_problems
    from firmware.prompts.library import PromptLibrary

    config = _load(args.file)
    if config is None:
        return 1
    library = PromptLibrary(built=BUILT_DIR, custom=home.custom_prompts)
    problems = prompt_problems(config, library, args.file.read_text(encoding="utf-8"))
    if problems:
        print("\n".join(p.render(str(args.file)) for p in problems), file=sys.stderr)
        print(f"minipbx: {args.file} refused; nothing was changed", file=sys.stderr)
        return 1
    print(f"{args.file}: OK ({len(config.extensions)} extensions)")
    return 0


def _reload(home: Home, args: argparse.Namespace) -> int:
    from firmware.engine.control import send_command

    try:
        answer = send_command(home.control_socket, {"cmd": "reload"})
    except OSError as exc:
        print(f"minipbx: the engine is not running ({home.control_socket}: {exc})", file=sys.stderr)
        return 1
    if not answer.get("ok"):
        print("\n".join(answer.get("errors", [])), file=sys.stderr)
        print("minipbx: reload refused; the box keeps its running config", file=sys.stderr)
        return 1
    print(f"minipbx: reloaded ({answer['extensions']} extensions)")
    for key in answer.get("restart_needed", []):
        print(f"minipbx: [{key}] changed; it takes effect at the next start", file=sys.stderr)
    return 0


def _number(home: Home, args: argparse.Namespace) -> int:
    from firmware import explain
    from firmware.engine.control import send_command
    from firmware.routing.lines import LineState
    from firmware.routing.numbers import NumberError

    config = _load(home.config)
    if config is None:
        return 1
    if args.caller is None:
        try:
            answer = explain.read(config, args.text)
        except NumberError as exc:
            print(f"minipbx: {exc}", file=sys.stderr)
            return 1
    elif config.extension(args.caller) is None:
        print(f"minipbx: {args.caller} is not an extension of this box", file=sys.stderr)
        return 1
    else:
        try:
            trunks = send_command(home.control_socket, {"cmd": "status"}, timeout=5)["trunks"]
            lines = {
                t["name"]: LineState(t["up"], t["busy"], t["channels"], t["why_down"])
                for t in trunks
            }
        except OSError:
            lines = None
        answer = explain.from_extension(config, args.caller, args.text, lines)
    print(json.dumps(answer, ensure_ascii=False) if args.json else explain.render(answer))
    return 0


def _explain(home: Home, args: argparse.Namespace) -> int:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from firmware import explain_inbound
    from firmware.engine.control import send_command
    from firmware.routing.numbers import NumberError
    from firmware.store.db import connect

    config = _load(home.config)
    if config is None:
        return 1
    zone = ZoneInfo(config.system.timezone)
    now = datetime.now(zone)
    try:
        at = datetime.fromisoformat(args.at) if args.at else now
    except ValueError as exc:
        print(f"minipbx: --at: {exc}", file=sys.stderr)
        return 2
    at = at.replace(tzinfo=zone) if at.tzinfo is None else at.astimezone(zone)

    def status() -> dict[str, Any] | None:
        try:
            return send_command(home.control_socket, {"cmd": "status"}, timeout=5)
        except (OSError, ValueError):
            return None

    override, note = explain_inbound.override_at(at, now=now, status=status)
    try:
        answer = explain_inbound.explain_call(
            config, args.to, caller=args.caller, at=at, override=override, override_note=note
        )
    except NumberError as exc:
        print(f"minipbx: {exc}", file=sys.stderr)
        return 1
    if config.icm is not None and args.caller is not None and answer["owned"]:
        answer["icm"] = explain_inbound.icm_decision(
            config,
            args.caller,
            store=connect(home.store),
            at=at,
            presence=_presence(home, config),
            offline=args.offline,
        )
    print(json.dumps(answer, ensure_ascii=False) if args.json else explain_inbound.render(answer))
    return 0


def _presence(home: Home, config: Config) -> Presence:
    """Who the running box could ring now: registered, busy on its calls, on do-not-disturb."""
    from firmware.engine.control import send_command
    from firmware.routing.icm import Presence
    from firmware.sipedge.subscribers import registered

    try:
        calls = send_command(home.control_socket, {"cmd": "status"}, timeout=5)["calls"]
    except (OSError, ValueError):
        calls = []
    return Presence(
        registered=frozenset(registered(home.sipedge_db)),
        busy=frozenset(p for c in calls for p in (c["caller"], c["dialed"])),
        dnd=frozenset(e.number for e in config.extensions if e.dnd),
    )


def _status(home: Home, args: argparse.Namespace) -> int:
    from firmware.engine.control import send_command

    try:
        answer = send_command(home.control_socket, {"cmd": "status"})
    except OSError as exc:
        print(f"minipbx: the engine is not running ({home.control_socket}: {exc})", file=sys.stderr)
        return 1
    edge = _edge_bans(home)
    if args.json:
        answer["sip_edge"] = edge.as_json() if not isinstance(edge, str) else {"error": edge}
        print(json.dumps(answer, indent=2, ensure_ascii=False))
        return 0
    _print_bans(edge)
    mode, engine = answer["mode"], answer["engine"]
    print(
        f"engine: pjproject {engine['pjproject']}, {answer['legs_alive']}/"
        f"{engine['legs_configured']} legs in use ({engine['calls_configured']} calls; "
        f"the binding holds {engine['legs']} legs)"
    )
    print(f"mode: {mode['mode']} ({mode['why']})")
    for trunk in answer["trunks"]:
        state = "up" if trunk["up"] else f"down: {trunk['why_down']}"
        print(f"trunk {trunk['name']}: {state}, {trunk['busy']}/{trunk['channels']} busy")
    for queue in answer["queues"]:
        level = queue["service_level_percent"]
        shown = "-" if level is None else f"{level:.0f}%"
        print(
            f"queue {queue['department']}: {queue['waiting']} waiting, "
            f"{queue['answered']}/{queue['offered']} answered, service level {shown}"
        )
    for name, driver in answer.get("drivers", {}).items():
        print(f"{name} {driver['port']}: {_driver_health(driver)}")
    if provisioning := answer.get("provisioning"):
        up = "up" if provisioning["up"] else f"down: {provisioning['error']}"
        print(f"provisioning http://{provisioning['listen']}/: {up}")
    for request in answer["line_queue"]:
        print(f"waiting for a line: {request['extension']} to {request['number']}")
    for name, crm in answer.get("icm", {}).items():
        print(f"icm {name} ({'active' if crm['active'] else 'kept, not asked'}): {_health(crm)}")
    _print_hardware(answer.get("hardware", {}), answer.get("door_openings", []))
    calls = answer["calls"]
    print(f"calls in progress: {len(calls)}")
    for call in calls:
        legs = ", ".join(f"{leg['role']} rx {leg['rx_packets']} pkt" for leg in call["legs"])
        print(f"  {call['caller']} -> {call['dialed']}: {call['state']} ({legs})")
    return 0


def _print_hardware(hardware: dict[str, Any], openings: list[dict[str, Any]]) -> None:
    """The board's drivers as ``minipbx status`` shows them (see docs/config.md, Hardware)."""
    for name, relay in hardware.get("relays", {}).items():
        print(f"relay {name}: {'on' if relay['on'] else 'off'}")
    panel = hardware.get("panel")
    if panel:
        trunks = ", ".join(panel["trunks"]) or "no trunk LEDs"
        print(f"panel: button on {panel['selected']}, LED shows {panel['mode_shown']}; {trunks}")
    for name, zone in hardware.get("zones", {}).items():
        print(f"zone {name}: {zone['playing'] or 'idle'}")
    line_in = hardware.get("line_in")
    if line_in:
        state = "live" if line_in["live"] else "fallen back to the file"
        print(f"line-in: {state} (level {line_in['level_dbfs']} dBFS)")
    for what, why in hardware.get("problems", {}).items():
        print(f"hardware {what}: failed: {why}")
    for opening in openings[:3]:
        print(
            f"door {opening['door']} opened {opening['opened_at']} by {opening['opened_by']} "
            f"({opening['how']}{'' if opening['relay_ok'] else ', relay failed'})"
        )


def _driver_health(driver: dict[str, Any]) -> str:
    """A serial driver's port state, what waits, and its last error."""
    waiting = driver.get("lines_waiting", driver.get("messages_waiting", 0))
    unit = "line(s)" if "lines_waiting" in driver else "message(s)"
    text = f"{driver['state']} since {driver['since']}, {waiting} {unit} waiting"
    return f"{text}; last error: {driver['last_error']}" if driver["last_error"] else text


def _devices(home: Home, args: argparse.Namespace) -> int:
    """What the installer types into each device: its file's name and its credential."""
    from drivers.provisioning import box_key, device_secret
    from drivers.provisioning_files import DeviceConfigError, device_filename, file_for

    config = _load(home.config)
    if config is None:
        return 1
    key = box_key(home.root)
    settings, problems = config.provisioning, 0
    for device in settings.devices:
        name = device_filename(device)
        print(f"{device.model} {device.mac}: http://{settings.listen}:{settings.port}/{name}")
        if settings.auth == "per_device":
            print(f"  user {device.mac}, password {device_secret(key, device.mac)}")
        try:
            file_for(config, name)
        except DeviceConfigError as exc:
            problems += 1
            print(f"  not served: {exc}")
    return 1 if problems else 0


def _health(crm: dict[str, Any]) -> str:
    """A CRM's last answer and last failure, as ``minipbx status`` shows them."""
    parts = []
    if crm.get("last_success_ago_s") is not None:
        parts.append(f"answered {crm['last_success_ago_s']:g} s ago in {crm['latency_ms']:.0f} ms")
    if crm.get("last_error"):
        ago = crm.get("last_error_ago_s")
        parts.append(f"failed{f' {ago:g} s ago' if ago is not None else ''}: {crm['last_error']}")
    if "lookups" in crm:
        parts.append(f"{crm['failures']}/{crm['lookups']} lookups failed")
    return "; ".join(parts) or "not asked yet"


def _edge_bans(home: Home) -> Bans | str:
    """The edge's bans, or why they cannot be read (Kamailio down)."""
    from firmware.sipedge.bans import read_bans
    from firmware.sipedge.rpc import KamailioRpcError, rpc_socket

    try:
        return read_bans(rpc_socket(home.run_dir))
    except (OSError, KamailioRpcError) as exc:
        return f"kamailio does not answer ({exc})"


def _print_bans(edge: Bans | str) -> None:
    if isinstance(edge, str):
        print(f"bans: unknown, {edge}")
        return
    for address, why in edge.addresses.items():
        print(f"banned: {address} ({why})")
    for extension in edge.extensions:
        print(f"locked: extension {extension}")


def _bans(home: Home, args: argparse.Namespace) -> int:
    edge = _edge_bans(home)
    if isinstance(edge, str):
        print(f"minipbx: {edge}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(edge.as_json(), indent=2))
    elif not edge.addresses and not edge.extensions:
        print("no address is banned and no extension locked")
    else:
        _print_bans(edge)
    return 0


def _unban(home: Home, args: argparse.Namespace) -> int:
    from firmware.sipedge.bans import lift
    from firmware.sipedge.rpc import KamailioRpcError, rpc_socket

    try:
        print(f"minipbx: {lift(rpc_socket(home.run_dir), args.target)}")
    except (OSError, KamailioRpcError) as exc:
        print(f"minipbx: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
