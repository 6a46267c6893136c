"""The pjsua2 Endpoint of the engine: one per process, listening on loopback only.

The engine never faces the network (Kamailio does): its SIP transport binds
127.0.0.1, and every call it places goes out through Kamailio as outbound proxy.
Media binds ``media_address`` so phones send RTP straight to the box.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pjsua2 as pj

from firmware.config.schema import Config

log = logging.getLogger(__name__)

#: Legs pjsua can hold at once: PJSUA_MAX_CALLS, fixed when pjproject is compiled. The
#: pjsua2-python wheel keeps pjproject's default of 4, so two bridged calls; an image
#: built with its own pjproject raises it (README, "Capacity").
MAX_LEGS = 4

#: G.711 only: every phone, ATA and provider speaks it, and it costs no CPU to bridge.
CODECS = ("PCMA/8000", "PCMU/8000")


class _Account(pj.Account):
    """The engine's identity towards Kamailio; it never registers."""

    def __init__(self, on_incoming: Callable[[int, str], None]) -> None:
        super().__init__()
        self._on_incoming = on_incoming

    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:  # noqa: N802 (pjsua2 API)
        self._on_incoming(prm.callId, prm.rdata.wholeMsg)


class SipEndpoint:
    """Creates, configures and destroys the process's pjsua2 library."""

    def __init__(self, config: Config, *, log_path: Path) -> None:
        self._config = config
        self._log_path = log_path
        self.ep = pj.Endpoint()
        self.account: _Account | None = None

    def start(self, on_incoming: Callable[[int, str], None]) -> None:
        net = self._config.network
        self.ep.libCreate()
        cfg = pj.EpConfig()
        cfg.uaConfig.threadCnt = 0
        cfg.uaConfig.mainThreadOnly = True
        cfg.uaConfig.maxCalls = MAX_LEGS
        cfg.uaConfig.userAgent = "minipbx-engine"
        cfg.logConfig.level = 4
        cfg.logConfig.consoleLevel = 0
        cfg.logConfig.filename = str(self._log_path)
        cfg.logConfig.fileFlags = pj.PJ_O_APPEND
        med = cfg.medConfig
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
        self.account = _Account(on_incoming)
        self.account.create(self._account_config())

    def _account_config(self) -> pj.AccountConfig:
        net = self._config.network
        acc = pj.AccountConfig()
        acc.idUri = f"sip:pbx@{self._config.system.sip_domain}"
        edge = "127.0.0.1" if net.sip_address in ("0.0.0.0", "127.0.0.1") else net.sip_address
        acc.sipConfig.proxies.append(f"sip:{edge}:{net.sip_port};lr")
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
        if self.account is not None:
            self.account.shutdown()
            self.account = None
        self.ep.libDestroy()
