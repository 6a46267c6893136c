"""DECT handsets on SIP DECT bases: a handset walking to another base registers from there,
and the box must ring it there only, forget it on Expires 0, and keep its call up when
the new base re-INVITEs with its own contact and media address.

The bases are test phones sending from 127.0.0.2 and 127.0.0.3 (other machines on the
LAN); multi-cell DECT systems do the radio handover themselves, the box sees only SIP.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

import pytest

from tests.support.box import Box
from tests.support.calls import CALLEE_TONE, CALLER_TONE
from tests.support.phone import Phone
from tests.support.wait import wait_until

pytestmark = pytest.mark.sip

BASE_A, BASE_B = "127.0.0.2", "127.0.0.3"
HANDSET = {"103": ['device = "dect:1"']}


def contacts(box: Box, user: str) -> list[str]:
    with sqlite3.connect(box.home.sipedge_db) as conn:
        rows = conn.execute(
            "SELECT contact FROM location WHERE username = ? AND expires > julianday('now')",
            (user,),
        ).fetchall()
    return [row[0] for row in rows]


def caller(box: Box, phone_factory: Callable[..., Phone]) -> Phone:
    ivan = phone_factory("ivan")
    ivan.register(box, "101")
    ivan.play(CALLER_TONE)
    return ivan


def ring_once(box: Box, ivan: Phone, number: str, answering: Phone) -> int:
    """Ivan calls ``number``; ``answering`` answers and both hear each other."""
    answering.play(CALLEE_TONE)
    answering.auto_answer(200)
    out = ivan.call(f"sip:{number}@{box.domain}")
    inc = answering.wait_event("incoming")["call"]
    ivan.wait_heard(CALLEE_TONE, out)
    answering.wait_heard(CALLER_TONE, inc)
    ivan.hangup(out)
    answering.wait_state(inc, "disconnected")
    return inc


def test_a_handset_that_moved_rings_at_its_new_base_only(
    box_factory: Callable[..., Box], phone_factory: Callable[..., Phone]
) -> None:
    box = box_factory(extension_keys=HANDSET)
    old_base, new_base = phone_factory("base_a", BASE_A), phone_factory("base_b", BASE_B)
    old_base.register(box, "103")
    assert [BASE_A in c for c in contacts(box, "103")] == [True]
    new_base.register(box, "103")
    assert [BASE_B in c for c in contacts(box, "103")] == [True]
    ring_once(box, caller(box, phone_factory), "103", new_base)
    assert old_base.events("incoming") == []


def test_a_desk_phone_keeps_every_contact_and_rings_on_all(
    box_factory: Callable[..., Box], phone_factory: Callable[..., Phone]
) -> None:
    box = box_factory(extension_keys=HANDSET)
    desk, softphone = phone_factory("desk", BASE_A), phone_factory("softphone", BASE_B)
    desk.register(box, "102")
    softphone.register(box, "102")
    assert len(contacts(box, "102")) == 2
    ring_once(box, caller(box, phone_factory), "102", softphone)
    assert len(desk.events("incoming")) == 1


def test_expires_0_removes_the_handset_and_nothing_rings(
    box_factory: Callable[..., Box], phone_factory: Callable[..., Phone]
) -> None:
    box = box_factory(extension_keys=HANDSET)
    base = phone_factory("base_b", BASE_B)
    base.register(box, "103")
    assert len(contacts(box, "103")) == 1
    base.unregister()
    assert contacts(box, "103") == []
    ivan = caller(box, phone_factory)
    out = ivan.call(f"sip:103@{box.domain}")
    assert ivan.wait_state(out, "disconnected", timeout=10)["code"] in (404, 480)
    assert base.events("incoming") == []


def test_a_call_survives_the_walk_to_another_base(
    box_factory: Callable[..., Box], phone_factory: Callable[..., Phone]
) -> None:
    box = box_factory(extension_keys=HANDSET)
    handset = phone_factory("handset", BASE_A)
    handset.register(box, "103")
    handset.play(CALLEE_TONE)
    handset.auto_answer(200)
    ivan = caller(box, phone_factory)
    out = ivan.call(f"sip:103@{box.domain}")
    inc = handset.wait_event("incoming")["call"]
    ivan.wait_heard(CALLEE_TONE, out)
    handset.wait_heard(CALLER_TONE, inc)

    moved_at = time.monotonic()
    handset.move(BASE_B)
    wait_until(
        lambda: [BASE_B in c for c in contacts(box, "103")] == [True],
        timeout=10,
        what="the handset registered at its new base only",
    )
    # The old media transport is gone: what the handset hears now comes to the new address.
    handset.wait_heard(CALLER_TONE, inc, timeout=10, since_t=moved_at)
    ivan.wait_heard(CALLEE_TONE, out, since_t=moved_at)
    assert ivan.events("disconnected") == []
    handset.hangup(inc)
    ivan.wait_state(out, "disconnected")
