"""A test phone: one pjsua2 user agent in a process of its own, driven over stdin/stdout.

pjsua2 allows one Endpoint per process, so every test phone is a process.
Commands arrive as JSON lines on stdin; a reader thread hands them to the main
thread, the only one that touches pjsua2, and each gets exactly one reply line.
Events are JSON lines with ``"event"`` and a ``time.monotonic()`` stamp the test
process can compare with its own clock. Everything a call hears, early media
included, is recorded to a WAV file so the test can prove audio by tones.

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
from typing import Any, TextIO

import pjsua2 as pj

from firmware.engine.leg import audio_only

#: G.711 only, as the box speaks it: a codec mismatch must fail a test, not hide in transcoding.
CODECS = ("PCMA/8000", "PCMU/8000")
RATE = 8000
#: One second holds a whole number of periods of any integer frequency, so looping is seamless.
TONE_SEGMENT_MS = 1000
#: How long quit waits for calls to end and REGISTERs to be withdrawn before tearing down.
SETTLE_S = 2.0

STATES = {
    pj.PJSIP_INV_STATE_NULL: "null",
    pj.PJSIP_INV_STATE_CALLING: "calling",
    pj.PJSIP_INV_STATE_INCOMING: "incoming",
    pj.PJSIP_INV_STATE_EARLY: "early",
    pj.PJSIP_INV_STATE_CONNECTING: "connecting",
    pj.PJSIP_INV_STATE_CONFIRMED: "confirmed",
    pj.PJSIP_INV_STATE_DISCONNECTED: "disconnected",
}
#: Compact header forms (RFC 3261 7.3.3), so a peer that uses them is read the same.
COMPACT = {"f": "from", "t": "to", "m": "contact", "i": "call-id", "v": "via", "k": "supported"}


class Wire:
    """The protocol channel: stdout carries JSON lines and nothing else."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def send(self, message: dict[str, Any]) -> None:
        line = json.dumps(message) + "\n"
        with self._lock:
            try:
                self._stream.write(line)
                self._stream.flush()
            except BrokenPipeError:
                pass  # the driver is gone; stdin's EOF will end the agent cleanly

    def event(self, kind: str, **fields: Any) -> None:
        self.send({"event": kind, "t": time.monotonic(), **fields})


def parse_headers(message: str) -> dict[str, str]:
    """Headers by lower-case name, folded lines joined and repeats comma-joined."""
    head = message.replace("\r\n", "\n").split("\n\n", 1)[0].split("\n")[1:]
    lines: list[str] = []
    for line in head:
        if line[:1] in (" ", "\t") and lines:
            lines[-1] += " " + line.strip()
        elif line:
            lines.append(line)
    headers: dict[str, str] = {}
    for line in lines:
        name, _, value = line.partition(":")
        name = COMPACT.get(name.strip().lower(), name.strip().lower())
        headers[name] = f"{headers[name]}, {value.strip()}" if name in headers else value.strip()
    return headers


def uri_of(name_addr: str) -> str:
    """The URI inside a From/To value, without display name or header parameters."""
    if "<" in name_addr:
        return name_addr.split("<", 1)[1].split(">", 1)[0]
    return name_addr.split(";", 1)[0].strip()


def display_name(name_addr: str) -> str:
    """The caller's name as the phone would show it: ``"Ivan Petrov" <sip:101@...>``."""
    if "<" not in name_addr:
        return ""
    return name_addr.split("<", 1)[0].strip().strip('"')


def user_of(uri: str) -> str:
    """The user part a PBX routes on: ``sip:101@pbx.test;transport=udp`` gives ``101``."""
    rest = uri.split(":", 1)[1] if ":" in uri else uri
    return rest.split("@", 1)[0].split(";", 1)[0] if "@" in rest else ""


class PhoneCall(pj.Call):
    """One call with what it hears recorded and the phone's tone fed into it."""

    def __init__(self, agent: Agent, account: pj.Account, call_id: int) -> None:
        super().__init__(account, call_id)
        self.agent = agent
        self.handle = agent.new_handle()
        self.audio: pj.AudioMedia | None = None
        self.slot = -1
        self.recorders: list[pj.AudioMediaRecorder] = []
        self.ended = False

    def onCallState(self, prm: pj.OnCallStateParam) -> None:
        info = self.getInfo()
        state = STATES.get(info.state, str(info.state))
        if state == "disconnected":
            self.ended = True
            self.audio = None
        self.agent.wire.event(
            "call_state",
            call=self.handle,
            state=state,
            code=info.lastStatusCode,
            reason=info.lastReason,
        )

    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:
        # Keep the CallInfo referenced: its media vector is read through the temporary,
        # and iterating over ``self.getInfo().media`` reads freed memory.
        info = self.getInfo()
        for media in info.media:
            if media.type == pj.PJMEDIA_TYPE_AUDIO and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                self._media_active(self.getAudioMedia(media.index))
                return
        # On hold or without audio: when audio returns, a new file keeps the timeline honest.
        self.audio = None
        self.slot = -1

    def _media_active(self, audio: pj.AudioMedia) -> None:
        self.audio = audio
        slot = audio.getPortId()
        if slot != self.slot:
            # A new stream gets a new file: pjmedia writes nothing while a recorder has no
            # source, so one file per stream keeps "sample n is t + n/8000" true.
            self.slot = slot
            path = self.agent.workdir / (
                f"{self.agent.name}-call{self.handle}-{len(self.recorders) + 1}.wav"
            )
            recorder = pj.AudioMediaRecorder()
            recorder.createRecorder(str(path))
            self.recorders.append(recorder)
            self.agent.wire.event("recording", call=self.handle, path=str(path))
        # Connecting again is harmless and repairs a port pjsua re-created under the same slot.
        audio.startTransmit(self.recorders[-1])
        self.agent.feed_tone(self)
        self.agent.wire.event("media_active", call=self.handle)

    def onDtmfDigit(self, prm: pj.OnDtmfDigitParam) -> None:
        self.agent.wire.event("dtmf", call=self.handle, digit=prm.digit)

    def onCallTransferStatus(self, prm: pj.OnCallTransferStatusParam) -> None:
        """How a transfer this phone asked for goes (the NOTIFYs of its REFER)."""
        self.agent.wire.event(
            "transfer_status", call=self.handle, code=prm.statusCode, final=prm.finalNotify
        )

    def close_media(self) -> None:
        """Closing a recorder flushes pjmedia's buffer and writes the WAV header sizes."""
        self.audio = None
        self.recorders.clear()


class PhoneAccount(pj.Account):
    """A SIP identity; every account reports registration and incoming calls as events."""

    def __init__(self, agent: Agent) -> None:
        super().__init__()
        self.agent = agent
        self.registered = False

    def onRegState(self, prm: pj.OnRegStateParam) -> None:
        wire = self.agent.wire
        self.registered = prm.code // 100 == 2 and prm.expiration > 0
        if self.registered:
            wire.event("registered", code=prm.code, expires=prm.expiration)
        elif prm.code // 100 == 2:
            wire.event("unregistered", code=prm.code)
        else:
            wire.event("registration_failed", code=prm.code, reason=prm.reason)

    def onMwiInfo(self, prm: pj.OnMwiInfoParam) -> None:
        """Message waiting, subscribed or not (a PBX may send it unsolicited)."""
        message = prm.rdata.wholeMsg
        self.agent.wire.event("mwi", body=message.split("\r\n\r\n", 1)[-1])

    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:
        call = PhoneCall(self.agent, self, prm.callId)
        self.agent.calls[call.handle] = call
        message = prm.rdata.wholeMsg
        info = call.getInfo()
        self.agent.wire.event(
            "incoming",
            call=call.handle,
            request_uri=message.split(" ", 2)[1] if " " in message else "",
            from_uri=info.remoteUri,
            from_user=user_of(uri_of(info.remoteUri)),
            from_name=display_name(info.remoteUri),
            to_uri=info.localUri,
            headers=parse_headers(message),
        )
        if not self.agent.schedule_auto_answer(call) and self.agent.ring:
            # A real phone rings at once, and a PBX plays ringback only once it hears 180.
            prm = audio_only()
            prm.statusCode = 180
            call.answer(prm)


def account_config(
    *,
    user: str,
    domain: str,
    server: str | None = None,
    password: str | None = None,
    transport: str = "udp",
    register: bool = False,
    expires: int = 300,
) -> pj.AccountConfig:
    """An account whose every request goes through ``server``, as a desk phone's does."""
    cfg = pj.AccountConfig()
    cfg.idUri = f"sip:{user}@{domain}"
    if server:
        cfg.sipConfig.proxies.append(f"sip:{server};transport={transport};lr")
    if register:
        cfg.regConfig.registrarUri = f"sip:{server};transport={transport}"
        cfg.regConfig.timeoutSec = expires
        # A refused phone stays refused: a retry would blur what the test observes.
        cfg.regConfig.retryIntervalSec = 0
    cfg.regConfig.registerOnAdd = register
    if password is not None:
        cfg.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", user, 0, password))
    cfg.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
    # Port 0: the OS picks RTP ports, so phones started together do not race for 4000 and up.
    cfg.mediaConfig.transportConfig.port = 0
    cfg.mediaConfig.lockCodecEnabled = False
    nat = cfg.natConfig
    nat.sipOutboundUse = False
    nat.contactRewriteUse = False
    nat.viaRewriteUse = False
    nat.sdpNatRewriteUse = False
    nat.udpKaIntervalSec = 0
    return cfg


class Agent:
    """The phone's state; every method runs on the main thread."""

    def __init__(self, name: str, workdir: Path, wire: Wire) -> None:
        self.name = name
        self.workdir = workdir
        self.wire = wire
        self.ep = pj.Endpoint()
        self.ports: dict[str, int] = {}
        self.local: PhoneAccount | None = None
        self.accounts: list[PhoneAccount] = []
        self.calls: dict[int, PhoneCall] = {}
        self.tone: pj.ToneGenerator | None = None
        self.auto_code: int | None = None
        self.auto_delay = 0.0
        self.ring = True
        self.due_answers: list[tuple[float, PhoneCall, int]] = []
        self._handles = 0

    def new_handle(self) -> int:
        """Handles are never reused, unlike pjsua call ids, so a test cannot mix up two calls."""
        self._handles += 1
        return self._handles

    def start(self) -> None:
        self.ep.libCreate()
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt = 0
        cfg.uaConfig.mainThreadOnly = True
        cfg.uaConfig.userAgent = f"minipbx-test-phone/{self.name}"
        cfg.logConfig.level = 4
        cfg.logConfig.consoleLevel = 0
        cfg.logConfig.filename = str(self.workdir / f"{self.name}.pjsua.log")
        med = cfg.medConfig
        med.clockRate = RATE
        med.sndClockRate = RATE
        med.channelCount = 1
        med.ecTailLen = 0
        med.noVad = True
        self.ep.libInit(cfg)
        self.ep.audDevManager().setNullDev()
        for kind, pj_type in (("udp", pj.PJSIP_TRANSPORT_UDP), ("tcp", pj.PJSIP_TRANSPORT_TCP)):
            tcfg = pj.TransportConfig()
            tcfg.boundAddress = "127.0.0.1"
            tid = self.ep.transportCreate(pj_type, tcfg)
            self.ports[kind] = int(self.ep.transportGetInfo(tid).localName.rsplit(":", 1)[1])
        self.ep.libStart()
        for codec in self.ep.codecEnum2():
            self.ep.codecSetPriority(codec.codecId, 0)
        for rank, codec_id in enumerate(CODECS):
            self.ep.codecSetPriority(codec_id, 255 - rank)
        # Direct calls (sip:name@127.0.0.1:port) need an account that uses no server.
        self.local = PhoneAccount(self)
        self.local.create(account_config(user=self.name, domain=self.address()), True)

    def address(self) -> str:
        return f"127.0.0.1:{self.ports['udp']}"

    def info(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "port": self.ports["udp"],
            "tcp_port": self.ports["tcp"],
            "uri": f"sip:{self.name}@{self.address()}",
        }

    def account(self) -> PhoneAccount:
        """The latest server account, or the local one when the phone has none."""
        account = self.accounts[-1] if self.accounts else self.local
        assert account is not None
        return account

    def call(self, handle: int) -> PhoneCall:
        if handle not in self.calls:
            raise KeyError(f"no call {handle}")
        return self.calls[handle]

    def feed_tone(self, call: PhoneCall) -> None:
        if self.tone is not None and call.audio is not None:
            self.tone.startTransmit(call.audio)

    def schedule_auto_answer(self, call: PhoneCall) -> bool:
        """Schedules the answer if the phone auto-answers; true when it answers at once."""
        if self.auto_code is None:
            return False
        self.due_answers.append((time.monotonic() + self.auto_delay, call, self.auto_code))
        return self.auto_delay <= 0

    def run_due(self) -> None:
        """Auto-answers whose delay is over, and recorders of calls that ended."""
        now = time.monotonic()
        for item in [a for a in self.due_answers if a[0] <= now]:
            self.due_answers.remove(item)
            _, call, code = item
            if not call.ended:
                prm = audio_only()
                prm.statusCode = code
                call.answer(prm)
        for call in self.calls.values():
            if call.ended and call.recorders:
                call.close_media()

    def pump_until(self, done: Any, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not done() and time.monotonic() < deadline:
            self.ep.libHandleEvents(10)

    def shutdown(self) -> None:
        """Tears down in the order pjsua2 needs: calls and media before the library.

        Any pjsua2 object still referenced at ``libDestroy`` (even by a loop
        variable) is destroyed after it and aborts the process, so each step
        below lets go of everything it touched before the next one runs.
        """
        self._end_calls()
        self._unregister()
        self._drop_objects()
        # Replies were awaited above; without this flag pjsua sleeps a second regardless.
        self.ep.libDestroy(pj.PJSUA_DESTROY_NO_RX_MSG)

    def _end_calls(self) -> None:
        self.due_answers.clear()
        self.ep.hangupAllCalls()
        self.pump_until(lambda: all(c.ended for c in self.calls.values()), SETTLE_S)

    def _unregister(self) -> None:
        for account in self.accounts:
            if account.registered:
                account.setRegistration(False)
        self.pump_until(lambda: not any(a.registered for a in self.accounts), SETTLE_S)

    def _drop_objects(self) -> None:
        # Call objects live until now: deleting one hangs up whatever call reuses its pjsua id.
        calls = list(self.calls.values())
        self.calls.clear()
        while calls:
            calls.pop().close_media()
        self.tone = None
        accounts = [*self.accounts, self.local]
        self.accounts.clear()
        self.local = None
        while accounts:
            account = accounts.pop()
            if account is not None:
                account.shutdown()
            del account


class Commands:
    """One method per protocol command; the return value is merged into the reply."""

    def __init__(self, agent: Agent) -> None:
        self.agent = agent

    def info(self) -> dict[str, Any]:
        return self.agent.info()

    def register(self, **account: Any) -> dict[str, Any]:
        return self._add_account(register=True, **account)

    def account_without_registration(self, **account: Any) -> dict[str, Any]:
        return self._add_account(register=False, **account)

    def _add_account(self, *, server: str, user: str, domain: str, **opts: Any) -> dict[str, Any]:
        account = PhoneAccount(self.agent)
        account.create(account_config(server=server, user=user, domain=domain, **opts), True)
        self.agent.accounts.append(account)
        return {}

    def unregister(self) -> dict[str, Any]:
        if not self.agent.accounts:
            raise ValueError("no server account")
        self.agent.accounts[-1].setRegistration(False)
        return {}

    def call(self, uri: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        call = PhoneCall(self.agent, self.agent.account(), pj.PJSUA_INVALID_ID)
        prm = audio_only()
        for name, value in (headers or {}).items():
            header = pj.SipHeader()
            header.hName, header.hValue = name, value
            prm.txOption.headers.append(header)
        # Registered before makeCall: its first callbacks run inside makeCall.
        self.agent.calls[call.handle] = call
        try:
            call.makeCall(uri, prm)
        except pj.Error:
            del self.agent.calls[call.handle]
            raise
        return {"call": call.handle}

    def answer(self, call: int, code: int = 200) -> dict[str, Any]:
        prm = audio_only()
        prm.statusCode = code
        self.agent.call(call).answer(prm)
        return {}

    def reject(self, call: int, code: int = 486) -> dict[str, Any]:
        prm = audio_only()
        prm.statusCode = code
        self.agent.call(call).hangup(prm)
        return {}

    def hangup(self, call: int) -> dict[str, Any]:
        self.agent.call(call).hangup(audio_only())
        return {}

    def transfer(self, call: int, uri: str) -> dict[str, Any]:
        """The phone's transfer key, blind: a REFER to ``uri``."""
        self.agent.call(call).xfer(uri, pj.CallOpParam(True))
        return {}

    def transfer_attended(self, call: int, to: int) -> dict[str, Any]:
        """The transfer key after a consultation: a REFER on ``call`` whose Refer-To
        replaces the consultation call ``to``."""
        self.agent.call(call).xferReplaces(self.agent.call(to), pj.CallOpParam(True))
        return {}

    def hold(self, call: int) -> dict[str, Any]:
        """The phone's hold key: a re-INVITE with a=sendonly."""
        self.agent.call(call).setHold(audio_only())
        return {}

    def resume(self, call: int) -> dict[str, Any]:
        """Hold released: a re-INVITE with a=sendrecv."""
        prm = audio_only()
        prm.opt.flag = pj.PJSUA_CALL_UNHOLD
        self.agent.call(call).reinvite(prm)
        return {}

    def move(self, call: int) -> dict[str, Any]:
        """The phone moves (a DECT handset to another base, a laptop to another network):
        a re-INVITE whose audio comes from a new RTP socket."""
        prm = audio_only()
        prm.opt.flag = pj.PJSUA_CALL_REINIT_MEDIA | pj.PJSUA_CALL_UPDATE_CONTACT
        self.agent.call(call).reinvite(prm)
        return {}

    def dtmf(self, call: int, digits: str) -> dict[str, Any]:
        prm = pj.CallSendDtmfParam()
        prm.method = pj.PJSUA_DTMF_METHOD_RFC2833
        prm.digits = digits
        self.agent.call(call).sendDtmf(prm)
        return {}

    def auto_answer(self, code: int | None = 200, delay: float = 0.0) -> dict[str, Any]:
        self.agent.auto_code = code
        self.agent.auto_delay = delay
        return {}

    def auto_ring(self, enabled: bool = True) -> dict[str, Any]:
        """Off: incoming calls get only 100 Trying until the test answers them."""
        self.agent.ring = enabled
        return {}

    def play(self, freq: int | None) -> dict[str, Any]:
        agent = self.agent
        if agent.tone is not None:
            agent.tone.stop()
            agent.tone = None  # destroying the port disconnects it from every call
        if freq:
            tone = pj.ToneGenerator()
            tone.createToneGenerator(RATE, 1)
            desc = pj.ToneDesc()
            desc.freq1, desc.freq2 = int(freq), 0
            desc.on_msec, desc.off_msec = TONE_SEGMENT_MS, 0
            desc.volume, desc.flags = 0, 0
            tones = pj.ToneDescVector()
            tones.append(desc)
            tone.play(tones, True)
            agent.tone = tone
            for call in agent.calls.values():
                agent.feed_tone(call)
        return {}


def error_text(exc: Exception) -> str:
    if isinstance(exc, pj.Error):
        return f"pjsua2: {exc.info()}"
    return f"{type(exc).__name__}: {exc}"


def serve(agent: Agent, wire: Wire, inbox: queue.SimpleQueue[dict[str, Any] | None]) -> Any:
    """Pumps pjsua2 and runs commands until quit or EOF; returns the quit request's id."""
    commands = Commands(agent)
    while True:
        agent.ep.libHandleEvents(10)
        agent.run_due()
        while True:
            try:
                request = inbox.get_nowait()
            except queue.Empty:
                break
            if request is None:
                return None
            ident, cmd = request.pop("id", None), request.pop("cmd", "")
            if cmd == "quit":
                return ident
            handler = getattr(commands, cmd, None) if not cmd.startswith("_") else None
            try:
                if handler is None:
                    raise ValueError(f"unknown command {cmd!r}")
                wire.send({"reply": ident, "ok": True, **handler(**request)})
            except Exception as exc:
                wire.send({"reply": ident, "ok": False, "error": error_text(exc)})


def read_commands(stream: TextIO, inbox: queue.SimpleQueue[dict[str, Any] | None]) -> None:
    """The only thread besides main: it never touches pjsua2, it just posts what it read."""
    for line in stream:
        if not line.strip():
            continue
        try:
            inbox.put(json.loads(line))
        except json.JSONDecodeError:
            inbox.put({"id": None, "cmd": "not-json"})
    inbox.put(None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", required=True)
    parser.add_argument("--workdir", type=Path, required=True)
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    # pjlib prints to fd 1 before its log settings apply: keep the real stdout for
    # the protocol and send anything else written there to stderr.
    wire = Wire(os.fdopen(os.dup(1), "w", encoding="utf-8"))
    os.dup2(2, 1)
    agent = Agent(args.name, args.workdir, wire)
    agent.start()
    inbox: queue.SimpleQueue[dict[str, Any] | None] = queue.SimpleQueue()
    threading.Thread(target=read_commands, args=(sys.stdin, inbox), daemon=True).start()
    wire.event("ready", **agent.info())
    quit_id = serve(agent, wire, inbox)
    agent.shutdown()
    if quit_id is not None:
        wire.send({"reply": quit_id, "ok": True})
    return 0


if __name__ == "__main__":
    sys.exit(main())
