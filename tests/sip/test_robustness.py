"""Bad input and bad luck: wrong passwords, malformed SIP, a killed engine, config reloads."""

from __future__ import annotations

import os
import signal
import socket

import pytest

from tests.support.box import EXTENSIONS, Box
from tests.support.calls import talking
from tests.support.phone import PhoneError
from tests.support.wait import wait_until

pytestmark = pytest.mark.sip


def test_wrong_password_is_refused(box: Box, phone_factory) -> None:
    phone = phone_factory("mallory")
    phone.send(
        "register", server=box.server, user="101", password="Not-The-Password", domain=box.domain
    )
    failed = phone.wait_event("registration_failed")
    assert failed["code"] in (401, 403)


def test_calling_without_the_password_is_refused(box: Box, phone_factory) -> None:
    phone = phone_factory("mallory")
    phone.send(
        "account_without_registration",
        server=box.server,
        user="101",
        password="Not-The-Password",
        domain=box.domain,
    )
    out = phone.call(f"sip:102@{box.domain}")
    assert phone.wait_state(out, "disconnected")["code"] in (401, 407, 403)
    assert box.closed_calls(0) == []


MALFORMED = [
    b"",
    b"\x00\xff" * 300,
    b"INVITE\r\n\r\n",
    b"INVITE sip:102@pbx.test SIP/2.0\r\nVia: nonsense\r\n\r\n",
    b"INVITE sip:102@pbx.test SIP/2.0\r\nContent-Length: 5000\r\n\r\nv=0",
    b"REGISTER sip:pbx.test SIP/2.0\r\n" + b"X-Long: " + b"a" * 60000 + b"\r\n\r\n",
    b"OPTIONS sip:pbx.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.2:1;branch=z9hG4bKx\r\n"
    b"From: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: 1\r\nCSeq: x OPTIONS\r\n\r\n",
    b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bKnone\r\n\r\n",
]


def test_a_burst_of_malformed_sip_leaves_the_box_serving(box: Box, phone_factory) -> None:
    """Sent from 127.0.0.2: Kamailio's own address would be trusted and prove nothing."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.2", 0))
        for _ in range(25):
            for datagram in MALFORMED:
                sock.sendto(datagram, ("127.0.0.1", box.sip_port))
    assert box.edge is not None and box.edge.poll() is None
    assert box.engine is not None and box.engine.poll() is None
    alice, _, out, _ = talking(box, phone_factory)
    alice.hangup(out)
    assert box.closed_calls(1)[0]["disposition"] == "answered"


def test_a_killed_engine_leaves_its_call_interrupted_not_open(box: Box, phone_factory) -> None:
    talking(box, phone_factory)
    status = box.cli("status")
    assert status.returncode == 0 and "calls in progress: 1" in status.stdout
    assert "101 -> 102: talking" in status.stdout
    box.kill_engine()
    box.start_engine()
    [row] = box.closed_calls(1)
    assert (row["disposition"], row["hangup_by"]) == ("interrupted", "system")
    assert row["answered_at"] <= row["ended_at"]


def test_reload_applies_new_extensions_and_passwords_without_dropping_calls(
    box: Box, phone_factory
) -> None:
    alice, _, out, _ = talking(box, phone_factory)
    new = dict(EXTENSIONS)
    del new["103"]
    new["102"] = ("Olga Smirnova", "Olga-New-Secret")
    new["104"] = ("Anna Kuznetsova", "Anna-Secret-xyz")
    box.write_config(extensions=new)
    result = box.cli("reload")
    assert result.returncode == 0, result.stderr
    assert "reloaded (4 extensions)" in result.stdout

    newcomer = phone_factory("anna")
    newcomer.register(box, "104")
    gone = phone_factory("sergey")
    gone.send(
        "register", server=box.server, user="103", password="Sergey-Secret-xyz", domain=box.domain
    )
    gone.wait_event("registration_failed")
    stale = phone_factory("olga-old")
    stale.send(
        "register", server=box.server, user="102", password="Olga-Secret-xyz", domain=box.domain
    )
    stale.wait_event("registration_failed")
    phone_factory("olga-new").register(box, "102", password="Olga-New-Secret")

    alice.wait_heard(1100, out)  # the call in progress still carries audio
    alice.hangup(out)
    assert box.closed_calls(1)[0]["disposition"] == "answered"


def test_a_bad_config_is_refused_and_the_box_keeps_its_running_one(box: Box, phone_factory) -> None:
    good = box.home.config.read_text()
    box.home.config.write_text(good.replace('password = "Ivan-Secret-xyz"', 'password = "short"'))
    result = box.cli("reload")
    assert result.returncode == 1
    assert "extensions[1].password: must be at least 10 characters" in result.stderr
    assert "reload refused" in result.stderr
    phone_factory("ivan").register(box, "101", password="Ivan-Secret-xyz")

    box.home.config.write_text("[system\nnot toml")
    result = box.cli("reload")
    assert result.returncode == 1 and ":1: (syntax)" in result.stderr
    phone_factory("olga").register(box, "102", password=EXTENSIONS["102"][1])


def test_sighup_reloads_too(box: Box, phone_factory) -> None:
    extensions = {**EXTENSIONS, "105": ("Dmitry Sokolov", "Dmitry-Secret-xyz")}
    box.write_config(extensions=extensions)
    assert box.engine is not None
    os.kill(box.engine.pid, signal.SIGHUP)
    wait_until(
        lambda: "config reloaded: 5 extension(s)" in box.engine_log_text(),
        timeout=5,
        what="the engine to reload on SIGHUP",
    )
    phone_factory("dmitry").register(box, "105")


def test_config_check_names_line_and_key(box: Box, tmp_path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(box.home.config.read_text().replace('region = "RU"', 'region = "XX"'))
    result = box.cli("config", "check", str(bad))
    assert result.returncode == 1
    assert f"{bad}:3: system.region: no tone plan for region 'XX'" in result.stderr
    ok = box.cli("config", "check", str(box.home.config))
    assert ok.returncode == 0 and "OK (4 extensions)" in ok.stdout


def test_registration_failure_is_reported_by_the_phone_helper(box: Box, phone_factory) -> None:
    with pytest.raises(PhoneError):
        phone_factory("x").register(box, "101", password="Not-The-Password")


def test_a_full_engine_refuses_the_next_call_with_congestion(box_factory, phone_factory) -> None:
    """``[capacity] calls = 2`` gives the engine 5 legs: with a call up and two
    announcements playing, a call whose callee leg finds no slot is refused.

    The engine answers 503; Kamailio, as a proxy, relays it as 500 (RFC 3261 16.7).
    """
    box = box_factory(tone_timeout=8, calls=2)
    alice, _, _, _ = talking(box, phone_factory)
    carol = phone_factory("carol")
    carol.register(box, "103")
    for number in ("555", "556"):
        refused = carol.call(f"sip:{number}@{box.domain}")
        carol.wait_heard(950, refused, last_s=0.3)
    third = carol.call(f"sip:100@{box.domain}")
    carol.wait_heard(425, third, last_s=0.15)
    ended = carol.wait_state(third, "disconnected", timeout=10)
    assert (ended["code"], ended["reason"]) == (500, "Service Unavailable")
    rows = {r["callee"]: r for r in box.closed_calls(3)}
    assert (rows["100"]["disposition"], rows["100"]["reason"]) == (
        "failed",
        "no free channel in the engine",
    )
    assert alice.events("call_state")[-1]["state"] == "confirmed"


def test_an_extension_at_its_call_cap_is_refused_at_once_and_others_still_connect(
    box_factory, phone_factory
) -> None:
    """Two calls to unknown numbers hold a leg each for their announcement; the third is
    refused at once, holding no leg for a tone, and 102 and 103 still connect."""
    box = box_factory(tone_timeout=8, extension_keys={"101": ["max_calls = 2"]})
    alice = phone_factory("ivan")
    alice.register(box, "101")
    held = [alice.call(f"sip:{number}@{box.domain}") for number in ("555", "556")]
    for call in held:
        alice.wait_heard(950, call, last_s=0.3)
    capped = alice.call(f"sip:557@{box.domain}")
    ended = alice.wait_state(capped, "disconnected")
    assert (ended["code"], ended["reason"]) == (486, "Call Limit Reached")
    assert [e["state"] for e in alice.events("call_state") if e["call"] == capped] == [
        "calling",
        "disconnected",
    ], "no early media, nothing played: the refusal holds no leg"

    talking(box, phone_factory, "102", "103")
    states = {e["state"] for e in alice.events("call_state") if e["call"] in held}
    assert "disconnected" not in states, "101's two calls were still holding their legs"
    refused = next(r for r in box.closed_calls(1) if r["callee"] == "557")
    assert (refused["caller"], refused["disposition"], refused["sip_status"]) == (
        "101",
        "busy",
        486,
    )
    assert refused["reason"] == "limit of 2 simultaneous calls reached"
