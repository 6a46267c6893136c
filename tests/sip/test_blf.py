"""BLF: a phone's busy-lamp keys follow extensions and park slots through Kamailio's
presence modules (dialog-info, RFC 4235), and only for the office's own phones."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from firmware.engine.features.blf.document import dialog_info
from firmware.sipedge.rpc import rpc_call, rpc_socket
from tests.sip.test_inbound import staff
from tests.sip.test_park import parks
from tests.support import sipp
from tests.support.box import Box
from tests.support.calls import CALLEE_TONE, CALLER_TONE, talking
from tests.support.net import free_port
from tests.support.phone import Phone

pytestmark = pytest.mark.sip

NS = {"d": "urn:ietf:params:xml:ns:dialog-info"}
LAMP_TONE = 1300


def lamp_key(phone: Phone, box: Box, number: str) -> str:
    """Subscribes ``phone``'s key to ``number``; returns its URI once the box accepted it.

    The first NOTIFY says how things stand before anything happened: nothing (no dialog,
    or a park slot's last one over).
    """
    uri = f"sip:{number}@{box.domain}"
    phone.watch(uri)
    phone.wait_event("lamp_state", uri=uri, state="ACTIVE")
    assert all(s == "terminated" for s, _ in dialogs(phone.wait_event("dialog_info", uri=uri)))
    return uri


def dialogs(event: dict[str, Any]) -> list[tuple[str, str]]:
    """(state, remote identity) of each dialog a NOTIFY's dialog-info document lists."""
    if not event["body"].strip():
        return []  # no document yet: nothing going on
    assert event["content_type"] == "application/dialog-info+xml", event
    root = ET.fromstring(event["body"])
    return [
        (d.findtext("d:state", "", NS), d.findtext("d:remote/d:identity", "", NS))
        for d in root.findall("d:dialog", NS)
    ]


def lamp_shows(phone: Phone, uri: str, state: str) -> list[tuple[str, str]]:
    """The dialogs of the next NOTIFY for ``uri`` in which every dialog is in ``state``;
    NOTIFYs in between may only repeat the state before."""
    while True:
        shown = dialogs(phone.wait_event("dialog_info", uri=uri))
        if shown and all(s == state for s, _ in shown):
            return shown


def test_a_lamp_shows_an_extension_ringing_talking_and_free(
    box: Box, phone_factory: Callable[[str], Phone]
) -> None:
    [reception] = staff(phone_factory, box, "100")
    key = lamp_key(reception, box, "102")
    ivan, olga = staff(phone_factory, box, "101", "102")
    ivan.play(CALLER_TONE)
    olga.play(CALLEE_TONE)
    out = ivan.call(f"sip:102@{box.domain}")
    inc = olga.wait_event("incoming")["call"]
    assert lamp_shows(reception, key, "early") == [("early", f"sip:101@{box.domain}")]
    olga.answer(inc)
    ivan.wait_heard(CALLEE_TONE, out)
    olga.wait_heard(CALLER_TONE, inc)
    assert lamp_shows(reception, key, "confirmed") == [("confirmed", f"sip:101@{box.domain}")]
    ivan.hangup(out)
    olga.wait_state(inc, "disconnected")
    lamp_shows(reception, key, "terminated")
    published = rpc_call(rpc_socket(box.home.run_dir), "presence.presentity_list")
    assert "101" not in {p["user"] for p in published}  # nobody watches 101: nothing sent
    reception.unwatch(key)  # in the subscription's dialog, challenged and answered again
    ended = reception.wait_event("lamp_state", uri=key, state="TERMINATED")
    assert ended["code"] == 200, ended


def test_pressing_a_ringing_extension_s_key_picks_the_call_up(
    box: Box, phone_factory: Callable[[str], Phone]
) -> None:
    [reception] = staff(phone_factory, box, "100")
    key = lamp_key(reception, box, "102")
    ivan, olga = staff(phone_factory, box, "101", "102")
    ivan.play(CALLER_TONE)
    reception.play(LAMP_TONE)
    out = ivan.call(f"sip:102@{box.domain}")
    inc = olga.wait_event("incoming")["call"]
    lamp_shows(reception, key, "early")
    taken = reception.call(f"sip:**102@{box.domain}")  # the key, pressed while it blinks
    ivan.wait_heard(LAMP_TONE, out)
    reception.wait_heard(CALLER_TONE, taken)
    olga.wait_state(inc, "disconnected")
    lamp_shows(reception, key, "terminated")  # 102 no longer rings
    ivan.hangup(out)


def test_a_park_slot_s_lamp_shows_the_waiting_call_and_its_key_takes_it(
    box: Box, phone_factory: Callable[[str], Phone]
) -> None:
    [sergey] = staff(phone_factory, box, "103")
    key = lamp_key(sergey, box, "*71")
    ivan, reception, out, inc = talking(box, phone_factory, caller="101", callee="100")
    parks(reception, inc, 1)
    assert lamp_shows(sergey, key, "confirmed") == [("confirmed", f"sip:101@{box.domain}")]
    sergey.play(LAMP_TONE)
    taken = sergey.call(f"sip:*71@{box.domain}")  # the key of line 1
    ivan.wait_heard(LAMP_TONE, out)
    sergey.wait_heard(CALLER_TONE, taken)
    lamp_shows(sergey, key, "terminated")
    ivan.hangup(out)


@pytest.mark.parametrize("password", [None, "Not-The-Password-1"])
def test_only_an_authenticated_extension_may_watch_a_lamp(
    box: Box, phone_factory: Callable[[str], Phone], password: str | None
) -> None:
    stranger = phone_factory("stranger")
    stranger.account_without_registration(box.server, "101", password, domain=box.domain)
    uri = f"sip:102@{box.domain}"
    stranger.watch(uri)
    refused = stranger.wait_event("lamp_state", uri=uri, state="TERMINATED")
    assert refused["code"] == 407  # challenged, and no answer it gave passed
    assert stranger.events("dialog_info") == []


def test_a_line_left_busy_by_a_killed_engine_is_freed_when_it_comes_back(
    box: Box, phone_factory: Callable[[str], Phone]
) -> None:
    [sergey] = staff(phone_factory, box, "103")
    key = lamp_key(sergey, box, "*71")
    _, reception, _, inc = talking(box, phone_factory, caller="101", callee="100")
    parks(reception, inc, 1)
    lamp_shows(sergey, key, "confirmed")
    box.kill_engine()  # nobody tells Kamailio that line 1 is free
    box.start_engine()
    lamp_shows(sergey, key, "terminated")


def test_a_phone_cannot_publish_a_lamp_for_anyone(
    box: Box, phone_factory: Callable[[str], Phone]
) -> None:
    """Only the box publishes: a phone, even an authenticated one, could light or put
    out any colleague's lamp."""
    [reception, ivan] = staff(phone_factory, box, "100", "101")
    key = lamp_key(reception, box, "102")
    forged = dialog_info(key, dialog="forged", state="confirmed", version=1)
    code = ivan.send_request(
        "PUBLISH",
        key,
        headers={"Event": "dialog", "Expires": "60"},
        content_type="application/dialog-info+xml",
        body=forged,
    )
    assert code == 403
    olga = phone_factory("ext102")
    olga.register(box, "102")
    olga.play(CALLEE_TONE)
    ivan.call(key)  # the lamp's next news is the call's, not the forgery
    olga.wait_event("incoming")
    assert lamp_shows(reception, key, "early") == [("early", f"sip:101@{box.domain}")]


@pytest.mark.parametrize(
    ("password", "refused"), [("Ivan-Secret-xyz", False), ("Wrong-Secret-xyz", True)]
)
def test_a_lamp_key_that_is_not_pjsua2_is_challenged_then_served(
    box: Box, tmp_path: Path, password: str, refused: bool
) -> None:
    """sipp answers the challenge and gets the first NOTIFY; with a wrong password it is
    challenged again and gets none (its scenario fails at the unexpected 407)."""
    done = sipp.subscribe_dialog(
        server=box.server,
        watcher="101",
        password=password,
        presentity="102",
        local_port=free_port("udp"),
        cwd=tmp_path,
    )
    errors = "".join(p.read_text() for p in tmp_path.glob("subscribe_dialog_*_errors.log"))
    assert (done.returncode, "while expecting '200'" in errors) == (int(refused), refused), errors
    if refused:
        assert "received 'SIP/2.0 407 Proxy Authentication Required" in errors
