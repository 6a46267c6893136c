"""What pjsip parsed of an incoming request: the engine never reads SIP text itself.

An attacker writes whatever the raw text says: a folded line (`Subject: hi`
then ` X-Minipbx-Auth: 100`) is one Subject header to every SIP parser but
looked like a trust header to a line splitter. So the facts the engine acts on
come from pjsip's parsed message, through the accessors our binding adds
(images/pjproject/minipbx.i), and only while pjsua2's callback holds it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pjsua2 as pj

#: Set by Kamailio only (it removes every X-Minipbx-* header arriving from outside).
AUTH_HEADER = "X-Minipbx-Auth"
TOKEN_HEADER = "X-Minipbx-Token"


@dataclass(frozen=True)
class Request:
    """An incoming request as the engine needs it, read once from pjsip's parse."""

    source: str
    request_user: str
    from_user: str
    to_user: str
    auth: tuple[str, ...]
    token: tuple[str, ...]

    @classmethod
    def parsed(cls, rdata: pj.SipRxData) -> Request:
        return cls(
            source=rdata.srcAddress,
            request_user=pj.rxRequestUser(rdata),
            from_user=pj.rxFromUser(rdata),
            to_user=pj.rxToUser(rdata),
            auth=tuple(pj.rxHeaderValues(rdata, AUTH_HEADER)),
            token=tuple(pj.rxHeaderValues(rdata, TOKEN_HEADER)),
        )


def user_of(uri: str) -> str:
    """The user of a URI pjsip printed (``"Ivan" <sip:101@pbx>``): parsed by pjsip again."""
    return str(pj.uriUser(uri))


def replaces_call_id(uri: str) -> str:
    """The Call-ID of the dialog a Refer-To URI's Replaces names (an attended transfer),
    parsed by pjsip; "" for a blind transfer."""
    return str(pj.uriReplacesCallId(uri))


def request_user_sent(tdata: pj.SipTxData) -> str:
    """The Request-URI user of a request the engine sent."""
    return str(pj.txRequestUser(tdata))
