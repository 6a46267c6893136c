"""The pjsua2 Endpoint of the engine: one per process, listening on loopback only.

The engine never faces the network (Kamailio does): its SIP transport binds
127.0.0.1, and every call it places goes out through Kamailio as outbound proxy.
Media binds ``media_address`` so phones send RTP straight to the box.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pjsua2 as pj

from firmware.config.schema import Config
from firmware.engine.capacity import BindingLimits, raise_open_files
from firmware.engine.sipmsg import Request, request_user_sent
from firmware.sipedge.logfile import BACKUPS, MAX_BYTES, PrivateRotatingFile, redact

log = logging.getLogger(__name__)

#: G.711 only: every phone, ATA and provider speaks it, and it costs no CPU to bridge.
CODECS = ("PCMA/8000", "PCMU/8000")


@dataclass
class AccountEvents:
    """What an account reports, each to whoever cares; unset ones are ignored."""

    incoming: Callable[[int, Request], None] | None = None
    registration: Callable[[int, str, int], None] | None = None
    #: (Request-URI user of the request sent, status code, reason phrase)
    answered: Callable[[str, int, str], None] | None = None


class EngineAccount(pj.Account):  # type: ignore[misc]  # pjsua2 (SWIG) is untyped, so Any
    """A pjsua2 account whose callbacks go to plain Python functions."""

    def __init__(self, events: AccountEvents) -> None:
        super().__init__()
        self.events = events

    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:  # noqa: N802 (pjsua2 API)
        if self.events.incoming is not None:
            self.events.incoming(prm.callId, Request.parsed(prm.rdata))

    def onRegState(self, prm: pj.OnRegStateParam) -> None:  # noqa: N802
        if self.events.registration is not None:
            self.events.registration(int(prm.code), prm.reason, int(prm.expiration))

    def onSendRequest(self, prm: pj.OnSendRequestParam) -> None:  # noqa: N802
        tsx = prm.e.body.tsxState.tsx
        if self.events.answered is not None and tsx.statusCode >= 200:
            self.events.answered(request_user_sent(tsx.lastTx), tsx.statusCode, tsx.statusText)

    def notify(self, target: str, summary: str) -> None:
        """An unsolicited message-summary NOTIFY (RFC 3842): the phone's message lamp."""
        prm = pj.SendRequestParam()
        prm.method = "NOTIFY"
        prm.txOption.targetUri = target
        for name, value in (("Event", "message-summary"), ("Subscription-State", "active")):
            header = pj.SipHeader()
            header.hName, header.hValue = name, value
            prm.txOption.headers.append(header)
        prm.txOption.contentType = "application/simple-message-summary"
        prm.txOption.msgBody = summary
        self.sendRequest(prm)

    def ping(self, target: str) -> None:
        """OPTIONS to ``target`` through Kamailio; the answer comes to ``events.answered``."""
        prm = pj.SendRequestParam()
        prm.method = "OPTIONS"
        prm.txOption.targetUri = target
        self.sendRequest(prm)


class CapacityError(RuntimeError):
    """pbx.toml asks for more than this engine's binding holds."""


class PjsuaLog(pj.LogWriter):  # type: ignore[misc]  # pjsua2 (SWIG) is untyped, so Any
    """pjsua's own log into a rotated 0600 file, credentials cut, like Kamailio's.

    At level 2 pjsua logs its errors and warnings only. Level 3 adds each
    call's state changes and a 25-line media dump when it ends, all of which
    the engine's own log and the call records already say: at 20 calls/s that
    was an eighth of the engine's CPU. Level 4 and up would write a trunk's
    digest responses and a Python call per SIP message. With ``mainThreadOnly`` pjsua2 hands
    lines from its other threads to the engine thread. The endpoint deletes its
    writer in ``libDestroy``, so the writer is handed over (``__disown__``) and
    the file handler, kept by the SipEndpoint, is closed after that.
    """

    LEVEL = 2

    def __init__(self, handler: logging.Handler) -> None:
        super().__init__()
        self._handler = handler

    def write(self, entry: pj.LogEntry) -> None:
        text = redact(entry.msg.rstrip("\r\n").encode()).decode("utf-8", "replace")
        self._handler.emit(logging.makeLogRecord({"msg": text, "levelno": logging.INFO}))


class SipEndpoint:
    """Creates, configures and destroys the process's pjsua2 library."""

    def __init__(self, config: Config, *, log_path: Path) -> None:
        self._config = config
        log_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._log = PrivateRotatingFile(
            log_path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", errors="replace"
        )
        self.ep = pj.Endpoint()
        self.account: EngineAccount | None = None
        self.accounts: list[EngineAccount] = []
        self._incoming: Callable[[int, Request], None] | None = None
        self.limits = BindingLimits.of(self.ep)
        #: The capacity in force: [capacity] changes take a restart.
        self.capacity = config.capacity

    def start(self, events: AccountEvents) -> None:
        net, capacity = self._config.network, self._config.capacity
        problems = self.limits.problems(self._config)
        if problems:
            raise CapacityError("\n".join(problems))
        raise_open_files(capacity.legs)
        self.ep.libCreate()
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt = 0
        cfg.uaConfig.mainThreadOnly = True
        cfg.uaConfig.maxCalls = capacity.legs
        cfg.uaConfig.userAgent = "minipbx-engine"
        cfg.logConfig.level = PjsuaLog.LEVEL
        cfg.logConfig.consoleLevel = PjsuaLog.LEVEL
        cfg.logConfig.msgLogging = False
        writer = PjsuaLog(self._log)
        writer.__disown__()
        cfg.logConfig.writer = writer
        med = cfg.medConfig
        med.maxMediaPorts = capacity.media_ports
        med.clockRate = 8000
        med.sndClockRate = 8000
        med.channelCount = 1
        med.audioFramePtime = 20
        med.ecTailLen = 0
        med.noVad = True
        self.ep.libInit(cfg)
        self.ep.audDevManager().setNullDev()
        sip = pj.TransportConfig()
        sip.boundAddress = "127.0.0.1"
        sip.port = net.engine_port
        self.ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, sip)
        self.ep.libStart()
        for codec in self.ep.codecEnum2():
            self.ep.codecSetPriority(codec.codecId, 0)
        for priority, codec_id in enumerate(CODECS):
            self.ep.codecSetPriority(codec_id, 255 - priority)
        self._incoming = events.incoming
        self.account = self.add_account(
            self.account_config(f"sip:pbx@{self._config.system.sip_domain}"), events
        )

    def add_account(self, cfg: pj.AccountConfig, events: AccountEvents) -> EngineAccount:
        """Every account hands incoming calls to the engine: pjsua may pick any of them
        (a provider's call to a trunk's contact lands on that trunk's account)."""
        if events.incoming is None:
            events.incoming = self._incoming
        account = EngineAccount(events)
        account.create(cfg)
        self.accounts.append(account)
        return account

    def remove_account(self, account: EngineAccount) -> None:
        self.accounts.remove(account)
        account.shutdown()

    @property
    def edge_address(self) -> str:
        """Kamailio's address as the engine reaches it, host:port."""
        net = self._config.network
        host = "127.0.0.1" if net.sip_address in ("0.0.0.0", "127.0.0.1") else net.sip_address
        return f"{host}:{net.sip_port}"

    def account_config(self, id_uri: str) -> pj.AccountConfig:
        """Every account of the engine sends through Kamailio and anchors media here."""
        net = self._config.network
        acc = pj.AccountConfig()
        acc.idUri = id_uri
        acc.sipConfig.proxies.append(f"sip:{self.edge_address};lr")
        media = acc.mediaConfig.transportConfig
        media.boundAddress = net.media_address
        media.port = net.rtp_port_min
        media.portRange = net.rtp_port_max - net.rtp_port_min
        # A phone that answers with several codecs gets no extra re-INVITE to narrow them.
        acc.mediaConfig.lockCodecEnabled = False
        acc.natConfig.sdpNatRewriteUse = False
        acc.natConfig.contactRewriteUse = False
        acc.natConfig.viaRewriteUse = False
        return acc

    def pump(self, ms: int) -> None:
        self.ep.libHandleEvents(ms)

    def destroy(self) -> None:
        """Destroys pjsua2; every Call and media object must be gone before this."""
        for account in self.accounts:
            account.shutdown()
        self.accounts.clear()
        self.account = None
        self.ep.libDestroy()
        self._log.close()
