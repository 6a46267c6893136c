"""Inbound figures: how fast a scenario rings the first member, how many callers a queue holds.

Callers are sipp behind the provider stand-in calling the office number over
the SIP trunk; the member is a sipp phone registered to the box that echoes RTP.
"""

from __future__ import annotations

from pathlib import Path

from bench.load import Callers, Load
from tests.support.box import Box
from tests.support.provider import Provider

TRUNK_USER, MOBILE = "74951110000", "79161234567"
ACCOUNTS = {TRUNK_USER: "Trunk-Secret-1", MOBILE: "Mobile-Secret-1"}

DIAL = """
[[departments]]
number = "600"
name = "Sales"
members = ["101"]
queue = {{ enabled = false }}

[[departments]]
number = "700"
name = "Support"
members = ["103"]
queue = {{ max_length = 100, max_wait = 600 }}

[[scenarios]]
name = "ring"
steps = [{{ kind = "dial", target = "department:600" }}]

[[scenarios]]
name = "wait"
steps = [{{ kind = "queue", department = "700" }}]

[[trunks]]
name = "city"
kind = "sip"
host = "{server}"
username = "{user}"
password = "{password}"
channels = {channels}
caller_id = "+{user}"

[[numbers]]
number = "+{user}"
trunk = "city"
scenario = "{scenario}"
"""


def provider(root: Path) -> Provider:
    return Provider(
        root / "provider", accounts=ACCOUNTS, dids={TRUNK_USER: TRUNK_USER}, address="127.0.0.3"
    ).start()


def office_number_box(root: Path, provider: Provider, scenario: str, calls: int) -> Box:
    """A box whose office number, on a trunk of ``calls`` channels, walks ``scenario``."""
    extra = DIAL.format(
        server=provider.server,
        user=TRUNK_USER,
        password=ACCOUNTS[TRUNK_USER],
        channels=calls,
        scenario=scenario,
    )
    box = Box(root / f"office-{scenario}", options={"extra": extra, "calls": calls}).start()
    provider.wait_registered(TRUNK_USER, timeout=10)
    return box


def customers(provider: Provider) -> Callers:
    """A mobile customer calling the office number at the provider."""
    return Callers(provider.server, {MOBILE: ACCOUNTS[MOBILE]}, TRUNK_USER)


def ringing(box: Box, provider: Provider, workdir: Path) -> Load:
    """Customers whose call rings department 600, answered by the member's echo phone."""
    return Load(box, workdir, customers(provider), answer_as="101")


def waiting(box: Box, provider: Provider, workdir: Path) -> Load:
    """Customers waiting in department 700's queue, whose member never comes."""
    return Load(box, workdir, customers(provider), answer_as=None, up="queued")
