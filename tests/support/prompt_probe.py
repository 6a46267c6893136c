"""A minimal engine that answers calls and plays prompts to them with the engine's PromptPlayer.

pjsua2 allows one Endpoint per process, so the proof that ``PromptPlayer`` works
runs here, in a process of its own, set up like the engine (loopback, null
audio device, ``threadCnt=0``, ``mainThreadOnly``, the ``EngineLoop`` pumping)
and using the engine's own ``Leg``. It answers every call and plays FILES once
to it. stdout carries JSON lines, each with a ``time.monotonic()`` stamp the
test process can compare with its own clock:

    ready {port}   answered   playing   done (PromptPlayer's on_done)   ended

A line ``stop`` on stdin stops the prompt early; ``quit`` or EOF ends the probe,
which hangs up and tears pjsua2 down in order (exit code 0 only if it did).

    python -m tests.support.prompt_probe FILE [FILE ...]
"""

from __future__ import annotations

import gc
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any, TextIO

import pjsua2 as pj

from firmware.engine.endpoint import CODECS
from firmware.engine.leg import Leg, LegState
from firmware.engine.loop import EngineLoop
from firmware.engine.prompts import PromptPlayer

SETTLE_S = 2.0


class Probe(pj.Account):
    """The account that takes calls, and the listener of their legs."""

    def __init__(self, loop: EngineLoop, files: list[Path], out: TextIO) -> None:
        super().__init__()
        self.loop = loop
        self.files = files
        self.out = out
        self.legs: list[Leg] = []
        self.players: list[PromptPlayer] = []

    def emit(self, event: str, **fields: Any) -> None:
        self.out.write(json.dumps({"event": event, "t": time.monotonic(), **fields}) + "\n")
        self.out.flush()

    def onIncomingCall(self, prm: pj.OnIncomingCallParam) -> None:
        leg = Leg(self, role="a", listener=self, call_id=prm.callId)
        self.legs.append(leg)
        leg.respond(200)
        self.emit("answered")

    # LegListener
    def on_leg_media(self, leg: Leg) -> None:
        assert leg.audio is not None
        player = PromptPlayer(self.loop, self.files, lambda: self.emit("done"))
        self.players.append(player)
        player.start(leg.audio)
        self.emit("playing", files=[str(f) for f in self.files])

    def on_leg_state(self, leg: Leg) -> None:
        if leg.state is LegState.DISCONNECTED:
            self.stop_prompts()
            # Dropped once its callback has returned, as the engine drops ended legs.
            self.loop.post(lambda: self.legs.remove(leg))
            self.emit("ended")

    def stop_prompts(self) -> None:
        for player in self.players:
            player.stop()
        self.players.clear()


def start_endpoint(ep: pj.Endpoint, log_path: Path) -> int:
    """The engine's endpoint settings, on a free loopback port; returns the port."""
    ep.libCreate()
    cfg = pj.EpConfig()
    cfg.uaConfig.threadCnt = 0
    cfg.uaConfig.mainThreadOnly = True
    cfg.logConfig.level = 4
    cfg.logConfig.consoleLevel = 0
    cfg.logConfig.filename = str(log_path)
    med = cfg.medConfig
    med.clockRate = 8000
    med.sndClockRate = 8000
    med.channelCount = 1
    med.audioFramePtime = 20
    med.ecTailLen = 0
    med.noVad = True
    ep.libInit(cfg)
    ep.audDevManager().setNullDev()
    sip = pj.TransportConfig()
    sip.boundAddress = "127.0.0.1"
    tid = ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, sip)
    ep.libStart()
    for codec in ep.codecEnum2():
        ep.codecSetPriority(codec.codecId, 0)
    for rank, codec_id in enumerate(CODECS):
        ep.codecSetPriority(codec_id, 255 - rank)
    return int(ep.transportGetInfo(tid).localName.rsplit(":", 1)[1])


def account_config(port: int) -> pj.AccountConfig:
    acc = pj.AccountConfig()
    acc.idUri = f"sip:probe@127.0.0.1:{port}"
    acc.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
    acc.mediaConfig.transportConfig.port = 0
    acc.natConfig.sdpNatRewriteUse = False
    acc.natConfig.contactRewriteUse = False
    acc.natConfig.viaRewriteUse = False
    return acc


def read_commands(stream: TextIO, loop: EngineLoop, probe: Probe) -> None:
    """Never touches pjsua2: it posts to the engine thread, as the engine's own threads do."""
    for line in stream:
        if line.strip() == "stop":
            loop.post(probe.stop_prompts)
        elif line.strip() == "quit":
            break
    loop.stop()


def shut_down(ep: pj.Endpoint, loop: EngineLoop, probes: list[Probe]) -> None:
    """Prompts, calls and the account go before the library, or pjsua2 aborts at exit."""
    probe = probes.pop()
    probe.stop_prompts()
    for leg in list(probe.legs):
        leg.end()
    deadline = time.monotonic() + SETTLE_S
    while probe.legs and time.monotonic() < deadline:
        loop.run_once()
    probe.legs.clear()
    probe.shutdown()
    del probe
    gc.collect()
    ep.libDestroy(pj.PJSUA_DESTROY_NO_RX_MSG)


def main(argv: list[str]) -> int:
    files = [Path(arg) for arg in argv]
    workdir = Path(os.environ.get("PROBE_WORKDIR", "."))
    # pjlib prints to fd 1 before its log settings apply: keep stdout for the protocol.
    out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    ep = pj.Endpoint()
    port = start_endpoint(ep, workdir / "probe-pjsua.log")
    loop = EngineLoop(ep.libHandleEvents)
    probe = Probe(loop, files, out)
    probe.create(account_config(port), True)
    threading.Thread(target=read_commands, args=(sys.stdin, loop, probe), daemon=True).start()
    probe.emit("ready", port=port)
    probes = [probe]
    del probe
    loop.run()
    shut_down(ep, loop, probes)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
