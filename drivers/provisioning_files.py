"""The configuration files adapters and phones fetch, built from pbx.toml: pure data out.

Parameter names are the vendors' own: Grandstream HT80x/HT813 P-values (from
Grandstream's config templates), Cisco SPA112/122 flat-profile elements, Yealink
``account.N.*`` and ``linekey.N.*`` keys (type 16 is BLF). XML is built with
ElementTree, never by joining strings.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from firmware.config import Config
from firmware.config.provisioning import CISCO, FXS_PORTS, GRANDSTREAM, HAS_FXO, YEALINK, Device
from firmware.config.schema import Extension
from firmware.routing.toneplans import Tone, tone_for

#: Grandstream P-values of an account: active, server, user, auth id, password, name,
#: register. The first FXS port uses the first set; the HT802's second port and the
#: HT813's FXO port the second.
GS_ACCOUNT = (
    ("P271", "P47", "P35", "P36", "P34", "P3", "P31"),
    ("P401", "P747", "P735", "P736", "P734", "P703", "P731"),
)
#: HT813 FXO termination: disconnect tone detection on, the tone, rings before answering.
GS_DISCONNECT_DETECT, GS_DISCONNECT_TONE, GS_RINGS = "P712", "P841", "P798"


@dataclass(frozen=True)
class Account:
    """One SIP account a device registers: an extension, or an FXO line's adapter account."""

    user: str
    password: str
    name: str


class DeviceConfigError(ValueError):
    """pbx.toml names something a device cannot carry; the message names the key."""


def file_for(config: Config, filename: str) -> tuple[Device, bytes] | None:
    """The device a requested file belongs to and its content; None for no such file."""
    if match := re.fullmatch(r"cfg([0-9a-f]{12})\.xml", filename):
        device = _device(config, match[1], GRANDSTREAM)
        return (device, grandstream(config, device)) if device else None
    if match := re.fullmatch(r"([0-9a-fA-F]{12})\.xml", filename):
        device = _device(config, match[1].lower(), CISCO)
        return (device, cisco(config, device)) if device else None
    if match := re.fullmatch(r"([0-9a-f]{12})\.cfg", filename):
        device = _device(config, match[1], tuple(YEALINK))
        return (device, yealink(config, device)) if device else None
    return None


def device_filename(device: Device) -> str:
    """The name the device asks for, in its vendor's pattern."""
    if device.model in GRANDSTREAM:
        return f"cfg{device.mac}.xml"
    return f"{device.mac.upper()}.xml" if device.model in CISCO else f"{device.mac}.cfg"


def common_file(filename: str) -> bytes | None:
    """Yealink's file for every phone of a model family, ``y000000000NNN.cfg``."""
    match = re.fullmatch(r"y(\d{12})\.cfg", filename)
    if match is None or int(match[1]) not in YEALINK.values():
        return None
    return _key_values([("static.auto_provision.mode", "1")])


def _device(config: Config, mac: str, models: tuple[str, ...]) -> Device | None:
    found = next((d for d in config.provisioning.devices if d.mac == mac), None)
    return found if found is not None and found.model in models else None


def grandstream(config: Config, device: Device) -> bytes:
    root = ET.Element("gs_provision", version="1")
    ET.SubElement(root, "mac").text = device.mac
    values = ET.SubElement(root, "config", version="1")
    ports, line = _adapter_accounts(config, device)
    server = _server(config)
    placed = list(zip(GS_ACCOUNT, ports, strict=False))
    if line is not None:
        placed.append((GS_ACCOUNT[1], line))  # the HT813's FXO port has the second set
    for names, account in placed:
        active, host, user, auth, password, name, register = names
        for key, value in (
            (active, "1"),
            (host, server),
            (user, account.user),
            (auth, account.user),
            (password, account.password),
            (name, account.name),
            (register, "1"),
        ):
            ET.SubElement(values, key).text = value
    if device.line is not None:
        busy = tone_for(config.system.region, Tone.BUSY)[0]
        tone = f"f1={busy.frequencies[0]}@-19,c={busy.on_ms}/{busy.off_ms};"
        for key, value in (
            (GS_DISCONNECT_DETECT, "1"),
            (GS_DISCONNECT_TONE, tone),
            (GS_RINGS, str(device.rings_before_answer)),
        ):
            ET.SubElement(values, key).text = value
    return _xml(root)


def cisco(config: Config, device: Device) -> bytes:
    root = ET.Element("flat-profile")
    server = _server(config)
    ports, _ = _adapter_accounts(config, device)
    for port, account in enumerate(ports, start=1):
        for key, value in (
            ("Line_Enable", "Yes"),
            ("Proxy", server),
            ("Display_Name", account.name),
            ("User_ID", account.user),
            ("Password", account.password),
            ("Auth_ID", account.user),
        ):
            ET.SubElement(root, f"{key}_{port}_").text = value
    return _xml(root)


def yealink(config: Config, device: Device) -> bytes:
    if device.extension is None:
        raise DeviceConfigError(f"provisioning device {device.mac}: a phone needs 'extension'")
    own = _extension(config, device.extension, device, "extension")
    host, _, port = _server(config).partition(":")
    pairs = [
        ("account.1.enable", "1"),
        ("account.1.label", own.name),
        ("account.1.display_name", own.name),
        ("account.1.auth_name", own.number),
        ("account.1.user_name", own.number),
        ("account.1.password", own.password),
        ("account.1.sip_server.1.address", host),
        ("account.1.sip_server.1.port", port),
        ("linekey.1.type", "15"),
        ("linekey.1.line", "1"),
    ]
    for key, number in enumerate(device.blf, start=2):
        watched = _extension(config, number, device, "blf")
        pairs += [
            (f"linekey.{key}.type", "16"),
            (f"linekey.{key}.line", "1"),
            (f"linekey.{key}.value", watched.number),
            (f"linekey.{key}.label", watched.name),
        ]
    return _key_values(pairs)


def _adapter_accounts(config: Config, device: Device) -> tuple[list[Account], Account | None]:
    """The FXS ports' extensions in order, and the FXO line's account if it has one."""
    if len(device.ports) > FXS_PORTS.get(device.model, 0):
        raise DeviceConfigError(
            f"provisioning device {device.mac}: ports: a {device.model} has "
            f"{FXS_PORTS.get(device.model, 0)} FXS port(s)"
        )
    accounts = []
    for port, number in enumerate(device.ports, start=1):
        extension = _extension(config, number, device, "ports")
        if extension.device != f"fxs:{port}":
            raise DeviceConfigError(
                f"provisioning device {device.mac}: ports: extension {number} is on port "
                f"{port}, so its device must be 'fxs:{port}' (it is {extension.device!r})"
            )
        accounts.append(Account(extension.number, extension.password, extension.name))
    if device.line is not None:
        trunk = config.trunk(device.line)
        if device.model not in HAS_FXO or trunk is None or trunk.kind != "fxo":
            raise DeviceConfigError(
                f"provisioning device {device.mac}: line: {device.line!r} must be a "
                f"kind = 'fxo' trunk on an adapter with an FXO port"
            )
        return accounts, Account(trunk.username, trunk.password, trunk.name)
    return accounts, None


def _extension(config: Config, number: str, device: Device, key: str) -> Extension:
    extension = config.extension(number)
    if extension is None:
        raise DeviceConfigError(f"provisioning device {device.mac}: {key}: no extension {number}")
    return extension


def _server(config: Config) -> str:
    return f"{config.system.sip_domain}:{config.network.sip_port}"


def _xml(root: ET.Element) -> bytes:
    ET.indent(root)
    text: bytes = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
    return text + b"\n"


def _one_line(value: str) -> str:
    return re.sub(r"[\x00-\x1f]", " ", value)


def _key_values(pairs: list[tuple[str, str]]) -> bytes:
    """Yealink's ``key = value`` lines; a value cannot break onto another line."""
    lines = ["#!version:1.0.0.1"]
    lines += [f"{key} = {_one_line(value)}" for key, value in pairs]
    return ("\n".join(lines) + "\n").encode()
