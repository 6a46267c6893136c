"""Who a call is from is what Kamailio vouched for, whatever the caller writes in its INVITE.

The attacks of the SIP-edge issue, made by a real phone: an extension that folds
a trust header into another header, or repeats it in another spelling, and a
caller with no credentials at all that dresses its Request-URI as a trunk's
contact. Each is refused or keeps its own identity, and the CDR says so.
"""

from __future__ import annotations

import pytest

from tests.sip.test_calls import CALLEE_TONE, CALLER_TONE, NOBODY, registered, talk
from tests.support.box import Box

pytestmark = pytest.mark.sip

ADMIN_RIGHTS = """
[modes]
may_force = ["100"]
"""


@pytest.mark.parametrize("fold", [" ", "\t"], ids=["space", "tab"])
def test_a_trust_header_folded_into_another_does_not_make_101_into_100(
    box_factory, phone_factory, fold: str
) -> None:
    box = box_factory(extra=ADMIN_RIGHTS)
    ivan, olga = (registered(phone_factory, box, n) for n in ("101", "102"))
    ivan.play(CALLER_TONE)
    olga.play(CALLEE_TONE)
    forged = {"Subject": f"hi\r\n{fold}X-Minipbx-Auth: 100"}
    out, inc = talk(box, ivan, olga, "102", headers=forged)
    assert "<sip:101@" in olga.events("incoming")[0]["from_uri"]
    assert not ivan.heard(NOBODY, out) and not olga.heard(NOBODY, inc)
    ivan.hangup(out)
    olga.wait_state(inc, "disconnected")
    # 100's right to force a mode does not come with the folded line either.
    mode = ivan.call(f"sip:*801@{box.domain}", headers=forged)
    ivan.wait_state(mode, "disconnected", timeout=10)
    first, second = box.closed_calls(2)
    assert (first["caller"], first["callee"], first["disposition"]) == ("101", "102", "answered")
    assert (second["caller"], second["dialed"]) == ("101", "*801")
    assert box.command("status")["mode"]["override"] is None


def test_a_trust_header_in_another_spelling_is_refused_at_the_edge(box: Box, phone_factory) -> None:
    ivan, olga = (registered(phone_factory, box, n) for n in ("101", "102"))
    out = ivan.call(f"sip:102@{box.domain}", headers={"x-minipbx-AUTH": "100"})
    assert ivan.wait_state(out, "disconnected")["code"] == 400
    assert not olga.events("incoming")
    assert box.closed_calls(0) == [], "the engine never saw the call"


def test_a_trunk_shaped_uri_without_credentials_is_nobody(box: Box, phone_factory) -> None:
    """No account, a Request-URI in the form of a trunk's contact, a trust header folded in."""
    olga = registered(phone_factory, box, "102")
    stranger = phone_factory("stranger")
    stranger.account_without_registration(box, "stranger", "no-such-Secret-1")
    out = stranger.call(
        f"sip:t0123456789ab@{box.server}", headers={"Subject": "hi\r\n X-Minipbx-Auth: 101"}
    )
    ended = stranger.wait_state(out, "disconnected", timeout=10)
    assert ended["code"] == 403
    assert not olga.events("incoming")
    [row] = box.closed_calls(1)
    assert (row["caller"], row["disposition"], row["reason"]) == (
        "?",
        "failed",
        "caller not identified",
    )
    assert box.command("status")["legs_alive"] == 0
