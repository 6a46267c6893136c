"""A test phone: one pjsua2 user agent in its own process, driven over stdin/stdout.

pjsua2 allows one Endpoint per process, so every test phone is a process of
its own. Commands arrive as JSON lines on stdin and are run on the main
thread, the only one that touches pjsua2; each gets one JSON reply line.
Events (registration, call states, DTMF) are JSON lines with ``"event"``.
Everything a call hears, early media included, is recorded to a WAV file.

    python -m tests.support.phone_agent --name alice --workdir /tmp/x
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pjsua2 as pj

_STATES = {
    pj.PJSIP_INV_STATE_CALLING: "calling",
    pj.PJSIP_INV_STATE_INCOMING: "incoming",
    pj.PJSIP_INV_STATE_EARLY: "early",
    pj.PJSIP_INV_STATE_CONNECTING: "connecting",
    pj.PJSIP_INV_STATE_CONFIRMED: "confirmed",
    pj.PJSIP_INV_STATE_DISCONNECTED: "disconnected",
}


#: The protocol's own copy of stdout: pjlib prints to fd 1 before its log settings apply.
_OUT = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)


def emit(message: dict[str, Any]) -> None:
    _OUT.write(json.dumps(message) + "\n")
    _OUT.flush()


def event(kind: str, **fields: Any) -> None:
    emit({"event": kind, "t": time.monotonic(), **fields})


class Call(pj.Call):
    def __init__(self, agent: Agent, account: pj.Account, call_id: int = pj.PJSUA_INVALID_ID):
        super().__init__(account, call_id)
        self.agent = agent
        self.handle = agent.next_handle()
        self.audio: pj.AudioMedia | None = None
        self.recorders: list[pj.AudioMediaRecorder] = []
        self.done = False

    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        info = self.getInfo()
        state = _STATES.get(info.state, "null")
        if state == "disconnected":
            self.audio = None
            self.done = True
        event(
            "call_state",
            call=self.handle,
            state=state,
            code=info.lastStatusCode,
            reason=info.lastReason,
        )

    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:
        info = self.getInfo()
        for index, media in enumerate(info.media):
            if media.type != pj.PJMEDIA_TYPE_AUDIO:
                continue
            if media.status != pj.PJSUA_CALL_MEDIA_ACTIVE or self.audio is not None:
                continue
            self.audio = self.getAudioMedia(index)
            path = (
                self.agent.workdir
                / f"{self.agent.name}-call{self.handle}-{len(self.recorders)}.wav"
            )
            recorder = pj.AudioMediaRecorder()
            recorder.createRecorder(str(path))
            self.audio.startTransmit(recorder)
            self.recorders.append(recorder)
            event("recording", call=self.handle, path=str(path))
            self.agent.feed_tone(self)
            event("media_active", call=self.handle)

    def onDtmfDigit(self, prm: pj.OnDtmfDigitParam) -> None:
        event("dtmf", call=self.handle, digit=prm.digit)


class Account(pj.Account):
    def __init__(self, agent: Agent) -> None:
        super().__init__()
        self.agent = agent

    def onRegState(self, prm: pj.OnRegStateParam) -> None:
        if prm.code // 100 == 2 and prm.expiration > 0:
            event("registered", code=prm.code)
        elif prm.code // 100 == 2:
            event("unregistered", code=prm.code)
        else:
            event("registration_failed", code=prm.code, reason=prm.reason)

    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:
        call = Call(self.agent, self, prm.callId)
        self.agent.calls[call.handle] = call
        info = call.getInfo()
        headers = {}
        for line in prm.rdata.wholeMsg.splitlines():
            name, _, value = line.partition(":")
            if name.strip().lower() in ("alert-info", "p-asserted-identity"):
                headers[name.strip().lower()] = value.strip()
        event(
            "incoming",
            call=call.handle,
            from_uri=info.remoteUri,
            to_uri=info.localUri,
            headers=headers,
        )
        if not self.agent.maybe_auto_answer(call):
            ringing = pj.CallOpParam()
            ringing.statusCode = 180
            call.answer(ringing)


class Agent:
    def __init__(self, name: str, workdir: Path) -> None:
        self.name = name
        self.workdir = workdir
        self.calls: dict[int, Call] = {}
        self.account: Account | None = None
        self.tone: pj.ToneGenerator | None = None
        self.auto_answer_code: int | None = None
        self.auto_answer_delay = 0.0
        self.pending_answers: list[tuple[float, Call]] = []
        self._handles = 0
        self.ep = pj.Endpoint()

    def next_handle(self) -> int:
        self._handles += 1
        return self._handles

    def start(self) -> int:
        self.ep.libCreate()
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt = 0
        cfg.uaConfig.mainThreadOnly = True
        cfg.logConfig.level = 4
        cfg.logConfig.consoleLevel = 0
        cfg.logConfig.filename = str(self.workdir / f"{self.name}.pjsua.log")
        cfg.medConfig.clockRate = 8000
        cfg.medConfig.sndClockRate = 8000
        cfg.medConfig.ecTailLen = 0
        cfg.medConfig.noVad = True
        self.ep.libInit(cfg)
        self.ep.audDevManager().setNullDev()
        transport = pj.TransportConfig()
        transport.boundAddress = "127.0.0.1"
        udp = self.ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, transport)
        self.ep.transportCreate(pj.PJSIP_TRANSPORT_TCP, transport)
        self.ep.libStart()
        for codec in self.ep.codecEnum2():
            self.ep.codecSetPriority(codec.codecId, 0)
        self.ep.codecSetPriority("PCMA/8000", 255)
        self.ep.codecSetPriority("PCMU/8000", 254)
        return self.ep.transportGetInfo(udp).localName.rsplit(":", 1)[1]

    # Commands.
    def cmd_register(self, server: str, user: str, password: str, domain: str, **opts: Any) -> dict:
        self._account(server, user, password, domain, register=True, **opts)
        return {}

    def cmd_account_without_registration(
        self, server: str, user: str, password: str, domain: str, **opts: Any
    ) -> dict:
        self._account(server, user, password, domain, register=False, **opts)
        return {}

    def _account(
        self,
        server: str,
        user: str,
        password: str,
        domain: str,
        *,
        register: bool,
        transport: str = "udp",
        expires: int = 300,
    ) -> None:
        if self.account is not None:
            self.account.shutdown()
        cfg = pj.AccountConfig()
        cfg.idUri = f"sip:{user}@{domain}"
        route = f"sip:{server};transport={transport};lr"
        if register:
            cfg.regConfig.registrarUri = f"sip:{server};transport={transport}"
            cfg.regConfig.timeoutSec = expires
            cfg.regConfig.retryIntervalSec = 0
        cfg.sipConfig.proxies.append(route)
        cfg.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", user, 0, password))
        cfg.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
        cfg.mediaConfig.lockCodecEnabled = False
        self.account = Account(self)
        self.account.create(cfg)

    def cmd_unregister(self) -> dict:
        assert self.account is not None
        self.account.setRegistration(False)
        return {}

    def cmd_call(self, uri: str) -> dict:
        assert self.account is not None, "register first"
        call = Call(self, self.account)
        self.calls[call.handle] = call
        call.makeCall(uri, pj.CallOpParam(True))
        return {"call": call.handle}

    def cmd_answer(self, call: int, code: int = 200) -> dict:
        prm = pj.CallOpParam()
        prm.statusCode = code
        self.calls[call].answer(prm)
        return {}

    def cmd_reject(self, call: int, code: int = 486) -> dict:
        prm = pj.CallOpParam()
        prm.statusCode = code
        self.calls[call].hangup(prm)
        return {}

    def cmd_hangup(self, call: int) -> dict:
        self.calls[call].hangup(pj.CallOpParam())
        return {}

    def cmd_dtmf(self, call: int, digits: str) -> dict:
        self.calls[call].dialDtmf(digits)
        return {}

    def cmd_auto_answer(self, code: int | None, delay: float = 0.0) -> dict:
        self.auto_answer_code = code
        self.auto_answer_delay = delay
        return {}

    def cmd_play(self, freq: int | None) -> dict:
        if self.tone is not None:
            self.tone.stop()
            self.tone = None
        if freq:
            self.tone = pj.ToneGenerator()
            self.tone.createToneGenerator(8000, 1)
            desc = pj.ToneDesc()
            desc.freq1, desc.freq2, desc.on_msec, desc.off_msec = freq, 0, 1000, 0
            tones = pj.ToneDescVector()
            tones.append(desc)
            self.tone.play(tones, True)
            for call in self.calls.values():
                self.feed_tone(call)
        return {}

    # Helpers.
    def feed_tone(self, call: Call) -> None:
        if self.tone is not None and call.audio is not None:
            self.tone.startTransmit(call.audio)

    def maybe_auto_answer(self, call: Call) -> bool:
        if self.auto_answer_code is None:
            return False
        self.pending_answers.append((time.monotonic() + self.auto_answer_delay, call))
        return True

    def answer_due(self) -> None:
        now = time.monotonic()
        due = [(t, c) for t, c in self.pending_answers if t <= now]
        for item in due:
            self.pending_answers.remove(item)
            call = item[1]
            if not call.done:
                prm = pj.CallOpParam()
                prm.statusCode = self.auto_answer_code or 200
                call.answer(prm)

    def shutdown(self) -> None:
        self.ep.hangupAllCalls()
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline and not all(c.done for c in self.calls.values()):
            self.ep.libHandleEvents(10)
        # pjsua2 aborts at exit unless calls and media objects go before the library.
        self.calls.clear()
        self.tone = None
        if self.account is not None:
            self.account.shutdown()
            self.account = None
        self.ep.libDestroy()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", required=True)
    parser.add_argument("--workdir", type=Path, required=True)
    args = parser.parse_args()
    agent = Agent(args.name, args.workdir)
    port = agent.start()
    inbox: queue.SimpleQueue[dict[str, Any] | None] = queue.SimpleQueue()

    def read_stdin() -> None:
        for line in sys.stdin:
            if line.strip():
                inbox.put(json.loads(line))
        inbox.put(None)

    threading.Thread(target=read_stdin, daemon=True).start()
    event("ready", port=int(port))
    while True:
        agent.ep.libHandleEvents(10)
        agent.answer_due()
        try:
            request = inbox.get_nowait()
        except queue.Empty:
            continue
        if request is None or request.get("cmd") == "quit":
            break
        ident = request.pop("id")
        handler = getattr(agent, "cmd_" + request.pop("cmd"))
        try:
            emit({"reply": ident, "ok": True, **handler(**request)})
        except Exception as exc:
            detail = exc.info() if isinstance(exc, pj.Error) else str(exc)
            emit({"reply": ident, "ok": False, "error": f"{type(exc).__name__}: {detail}"})
    agent.shutdown()
    emit({"reply": "quit", "ok": True})


if __name__ == "__main__":
    main()
