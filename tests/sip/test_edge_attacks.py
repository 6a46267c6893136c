"""The SIP edge attacked the way an attacker on the LAN would: each attack from 127.0.0.2+.

Kamailio's own address is exempt from its screening, so no attack here comes
from 127.0.0.1; the real phones do. Every attack is bounded in count and time.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from tests.sip.test_robustness import talking
from tests.support.attacker import Attacker, request, sipsak_register
from tests.support.box import Box
from tests.support.phone import SCALE
from tests.support.wait import wait_until

pytestmark = pytest.mark.sip


def bans(box: Box) -> str:
    listed = box.cli("bans")
    assert listed.returncode == 0, listed.stderr
    return listed.stdout


@pytest.mark.parametrize("method", ["INVITE", "MESSAGE", "OPTIONS", "BYE", "NOTIFY"])
def test_in_dialog_requests_from_outside_are_not_relayed_to_a_third_party(
    box: Box, method: str
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as victim:
        victim.bind(("127.0.0.9", 0))
        victim.setblocking(False)
        target = f"sip:victim@127.0.0.9:{victim.getsockname()[1]}"
        route = f"Route: <sip:127.0.0.1:{box.sip_port};lr>\r\n"
        with Attacker("127.0.0.2") as mallory:
            plain = mallory.send(
                request(
                    method,
                    target,
                    source=mallory.source,
                    port=mallory.port,
                    headers=route,
                    to_tag="forged",
                ),
                box.sip_port,
            )
            trusted = mallory.send(
                request(
                    method,
                    target,
                    source=mallory.source,
                    port=mallory.port,
                    headers=route + "X-Minipbx-Auth: 101\r\n",
                    to_tag="forged",
                ),
                box.sip_port,
            )
        assert (plain, trusted) == (481, 400)
        with pytest.raises(BlockingIOError):
            victim.recv(65535)


def test_password_guessing_is_banned_within_ten_tries(
    box: Box, phone_factory, tmp_path: Path
) -> None:
    answered = 0
    for guess in range(15):
        code = sipsak_register(
            box_port=box.sip_port,
            user="101",
            password=f"Guess-{guess}-xyz",
            source="127.0.0.2",
            cwd=tmp_path,
        )
        if code != 2:
            break
        answered += 1
    assert code == 3, "the guesser was neither refused nor dropped"
    assert answered <= 10
    right = box.password("101")
    assert (
        sipsak_register(
            box_port=box.sip_port, user="101", password=right, source="127.0.0.2", cwd=tmp_path
        )
        == 3
    ), "a banned address must not get in even with the right password"
    assert "banned: 127.0.0.2 (password guessing)" in bans(box)
    assert "banned: 127.0.0.2" in box.cli("status").stdout
    phone_factory("ivan").register(box, "101")

    lifted = box.cli("unban", "127.0.0.2")
    assert lifted.returncode == 0 and "ban on 127.0.0.2 lifted" in lifted.stdout
    assert (
        sipsak_register(
            box_port=box.sip_port, user="101", password=right, source="127.0.0.2", cwd=tmp_path
        )
        == 0
    )
    log = box.edge.log_path.read_text() if box.edge else ""
    assert "banned 127.0.0.2 for 1800 s: password guessing" in log


def test_an_extension_guessed_from_many_addresses_is_locked_but_its_phone_works(
    box_factory, tmp_path: Path
) -> None:
    box = box_factory(extra="[security]\nlock_sources = 3\n")
    right = box.password("102")

    def register(source: str, password: str) -> int:
        return sipsak_register(
            box_port=box.sip_port, user="102", password=password, source=source, cwd=tmp_path
        )

    assert register("127.0.0.5", right) == 0  # the real phone, before the attack
    for source in ("127.0.0.2", "127.0.0.3", "127.0.0.4"):
        assert register(source, "Guess-One-xyz") == 2
    assert "locked: extension 102" in bans(box)
    assert register("127.0.0.6", right) == 1, "a locked extension takes no new address (403)"
    assert register("127.0.0.5", right) == 0
    assert box.cli("unban", "102").returncode == 0
    assert register("127.0.0.6", right) == 0


def test_a_scanner_is_dropped_and_banned(box: Box) -> None:
    target = f"sip:127.0.0.1:{box.sip_port}"
    with Attacker("127.0.0.2") as scanner:
        probe = request(
            "OPTIONS",
            target,
            source=scanner.source,
            port=scanner.port,
            headers="User-Agent: friendly-scanner\r\n",
        )
        assert scanner.send(probe, box.sip_port) is None
        plain = request("OPTIONS", target, source=scanner.source, port=scanner.port)
        assert scanner.send(plain, box.sip_port, timeout=0.5) is None
    assert "banned: 127.0.0.2 (scanner friendly-scanner)" in bans(box)
    with Attacker("127.0.0.3") as bystander:
        ping = request("OPTIONS", target, source=bystander.source, port=bystander.port)
        assert bystander.send(ping, box.sip_port) == 200


FLOOD = 3000


def test_a_flood_is_banned_while_a_real_call_connects(box: Box, phone_factory) -> None:
    target = f"sip:127.0.0.1:{box.sip_port}"
    answered = 0
    with Attacker("127.0.0.3") as flooder:
        flooder.sock.settimeout(0.5 * SCALE)

        def flood() -> None:
            for _ in range(FLOOD):
                flooder.sock.sendto(
                    request("OPTIONS", target, source=flooder.source, port=flooder.port),
                    ("127.0.0.1", box.sip_port),
                )

        sender = threading.Thread(target=flood)
        sender.start()
        alice, _, out, _ = talking(box, phone_factory)
        sender.join()
        try:
            while flooder.sock.recv(65535):
                answered += 1
        except TimeoutError:
            pass
    print(f"flood: {answered} of {FLOOD} requests answered")
    assert answered < FLOOD // 10
    assert "banned: 127.0.0.3 (flood)" in bans(box)
    alice.hangup(out)
    assert box.closed_calls(1)[0]["disposition"] == "answered"


def options(source: str, box_port: int, *, from_line: str, extra: bytes = b"") -> bytes:
    return (
        (
            f"OPTIONS sip:127.0.0.1:{box_port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {source}:5099;branch=z9hG4bKmalformed1;rport\r\n"
            f"Max-Forwards: 70\r\n{from_line}\r\n"
            f"To: <sip:127.0.0.1:{box_port}>\r\nCall-ID: malformed@{source}\r\nCSeq: 1 OPTIONS\r\n"
        ).encode()
        + extra
        + b"Content-Length: 0\r\n\r\n"
    )


def test_malformed_requests_are_never_answered_2xx(box: Box) -> None:
    good_from = "From: <sip:a@127.0.0.4>;tag=1"
    with Attacker("127.0.0.4") as mallory:
        src, port = mallory.source, box.sip_port
        cases = {
            "comma in display name": options(src, port, from_line="From: a,b <sip:a@x>;tag=1"),
            "spaces inside <>": options(src, port, from_line="From: < sip:a @x >;tag=1"),
            "NUL in a header": options(src, port, from_line=good_from, extra=b"X-A: a\x00b\r\n"),
            "Proxy-Require": options(
                src, port, from_line=good_from, extra=b"Proxy-Require: nonexistent-ext\r\n"
            ),
        }
        answers = {name: mallory.send(data, port, timeout=0.5) for name, data in cases.items()}
        well_formed = options(src, port, from_line=good_from)
        assert mallory.send(well_formed, port) == 200
    assert answers["Proxy-Require"] == 420
    assert not [name for name, code in answers.items() if code is not None and code < 300], answers


HALF_SENT = 200


def test_half_sent_tcp_requests_are_closed_and_a_phone_registers_over_tcp(
    box_factory, phone_factory
) -> None:
    box = box_factory(extra="[security]\ntcp_idle_timeout = 2\n")
    head = (
        f"INVITE sip:102@127.0.0.1:{box.sip_port} SIP/2.0\r\n"
        "Via: SIP/2.0/TCP 127.0.0.5:5099;branch=z9hG4bKhalf\r\nMax-Forwards: 70\r\n"
        "From: <sip:a@127.0.0.5>;tag=1\r\nTo: <sip:102@pbx.test>\r\nCall-ID: half\r\n"
        "CSeq: 1 INVITE\r\nContent-Length: 500\r\n\r\nv=0\r\n"
    ).encode()
    held: list[socket.socket] = []
    try:
        for _ in range(HALF_SENT):
            conn = socket.create_connection(
                ("127.0.0.1", box.sip_port), timeout=2, source_address=("127.0.0.5", 0)
            )
            conn.sendall(head)
            held.append(conn)
        phone_factory("ivan").register(box, "101", transport="tcp")

        def closed(conn: socket.socket) -> bool:
            conn.settimeout(0.01)
            try:
                return conn.recv(4096) == b""
            except TimeoutError:
                return False
            except ConnectionResetError:
                return True

        wait_until(
            lambda: all(closed(c) for c in held),
            timeout=15 * SCALE,
            what=f"Kamailio to close {HALF_SENT} half-sent connections",
            every=0.5,
        )
    finally:
        for conn in held:
            conn.close()


def test_data_and_logs_are_the_box_s_own_and_hold_no_credentials(box: Box, tmp_path: Path) -> None:
    for guess in range(3):
        sipsak_register(
            box_port=box.sip_port,
            user="101",
            password=f"Wrong-{guess}-xyz",
            source="127.0.0.2",
            cwd=tmp_path,
        )
    with Attacker("127.0.0.4") as mallory:
        # A Via the core cannot parse: Kamailio's core would log the whole message.
        unparsable = (
            f"REGISTER sip:127.0.0.1:{box.sip_port} SIP/2.0\r\nVia: nonsense\r\n"
            'Authorization: Digest username="101", response="0123abcd"\r\n\r\n'
        ).encode()
        mallory.send(unparsable, box.sip_port, timeout=0.3)
    assert box.edge is not None
    home = box.home
    files = [home.store, home.sipedge_db, box.edge.log_path]
    files += [p for p in home.root.glob("*.db-*")]
    modes = {str(p.relative_to(home.root)): oct(p.stat().st_mode & 0o777) for p in files}
    assert set(modes.values()) == {"0o600"}, modes
    assert oct(home.run_dir.stat().st_mode & 0o777) == "0o700"
    log = box.edge.log_path.read_text()
    assert "wrong credentials for 101" in log
    assert "0123abcd" not in log and 'username="101"' not in log
