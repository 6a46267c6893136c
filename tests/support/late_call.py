"""A pjsua2 process that deletes an ended call's object late, after a newer call took
its slot, and prints what became of the newer call (JSON).

The engine drops a leg's object as soon as its call ends, but any reference a
closure keeps delays that to the garbage collector. The binding must then
leave the slot, and the call now in it, alone. One endpoint calls itself over
loopback, with two call slots: each call is an outgoing and an incoming leg,
so a second call reuses the first one's slots.
"""

from __future__ import annotations

import gc
import json
import time

import pjsua2 as pj

from tests.support.net import free_port


class Leg(pj.Call):  # type: ignore[misc]  # pjsua2 (SWIG) is untyped
    def __init__(self, account: pj.Account, call_id: int = pj.PJSUA_INVALID_ID) -> None:
        super().__init__(account, call_id)
        self.states: list[int] = []

    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        self.states.append(self.getInfo().state)


class Account(pj.Account):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.incoming: list[Leg] = []

    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:
        self.incoming.append(Leg(self, prm.callId))


def pump(ep: pj.Endpoint, until: object, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not until() and time.monotonic() < deadline:  # type: ignore[operator]
        ep.libHandleEvents(20)


def main() -> None:
    ep = pj.Endpoint()
    ep.libCreate()
    cfg = pj.EpConfig()
    cfg.uaConfig.threadCnt = 0
    cfg.uaConfig.mainThreadOnly = True
    cfg.uaConfig.maxCalls = 2
    cfg.logConfig.level = 0
    cfg.logConfig.consoleLevel = 0
    ep.libInit(cfg)
    ep.audDevManager().setNullDev()
    port = free_port()
    transport = pj.TransportConfig()
    transport.port = port
    transport.boundAddress = "127.0.0.1"
    ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, transport)
    ep.libStart()
    account = Account()
    acfg = pj.AccountConfig()
    acfg.idUri = f"sip:probe@127.0.0.1:{port}"
    account.create(acfg)
    uri = f"sip:probe@127.0.0.1:{port}"

    first = Leg(account)
    first_states = first.states
    first.makeCall(uri, pj.CallOpParam(True))
    pump(ep, lambda: account.incoming)
    account.incoming.pop().hangup(pj.CallOpParam(True))
    pump(ep, lambda: pj.PJSIP_INV_STATE_DISCONNECTED in first_states)
    pump(ep, lambda: False, 0.3)  # both slots freed
    old_slot = first.getId()

    second = Leg(account)
    second_states = second.states
    second.makeCall(uri, pj.CallOpParam(True))
    pump(ep, lambda: account.incoming)
    answering = account.incoming.pop()
    same_slot = old_slot in (second.getId(), answering.getId())

    del first
    gc.collect()  # the late deletion
    ok = pj.CallOpParam(True)
    ok.statusCode = 200
    answering.answer(ok)
    pump(ep, lambda: pj.PJSIP_INV_STATE_CONFIRMED in second_states)
    result = {
        "same_slot": same_slot,
        "active": bool(second.isActive() and answering.isActive()),
        "confirmed_seen": pj.PJSIP_INV_STATE_CONFIRMED in answering.states,
    }
    print(json.dumps(result), flush=True)
    if second.isActive():
        second.hangup(pj.CallOpParam(True))
        pump(ep, lambda: pj.PJSIP_INV_STATE_DISCONNECTED in second_states)
    del second
    del answering
    gc.collect()
    ep.libDestroy()


if __name__ == "__main__":
    main()
