"""A leg: one SIP dialog of an anchored call, between the engine and one party.

A leg reports what happens to it (ringing, answered, media up, ended) to its
listener, the call flow that owns it; it decides nothing itself.
"""

from __future__ import annotations

import logging
import weakref
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, Protocol

import pjsua2 as pj

from firmware.engine.sipmsg import replaces_call_id, user_of

log = logging.getLogger(__name__)


class LegState(StrEnum):
    NEW = "new"
    CALLING = "calling"
    INCOMING = "incoming"
    EARLY = "early"
    CONNECTING = "connecting"
    CONFIRMED = "confirmed"
    DISCONNECTED = "disconnected"


_STATES = {
    pj.PJSIP_INV_STATE_NULL: LegState.NEW,
    pj.PJSIP_INV_STATE_CALLING: LegState.CALLING,
    pj.PJSIP_INV_STATE_INCOMING: LegState.INCOMING,
    pj.PJSIP_INV_STATE_EARLY: LegState.EARLY,
    pj.PJSIP_INV_STATE_CONNECTING: LegState.CONNECTING,
    pj.PJSIP_INV_STATE_CONFIRMED: LegState.CONFIRMED,
    pj.PJSIP_INV_STATE_DISCONNECTED: LegState.DISCONNECTED,
}


def audio_only() -> pj.CallOpParam:
    """Call settings with audio and nothing else.

    pjproject 2.17 adds an RFC 4103 text stream to every call by default: an
    m=text line in every offer and answer, and a thread and two sockets per leg
    that no phone asked for.
    """
    prm = pj.CallOpParam(True)
    prm.opt.textCount = 0
    return prm


class LegListener(Protocol):
    def on_leg_state(self, leg: Leg) -> None: ...

    def on_leg_media(self, leg: Leg) -> None: ...

    def on_leg_dtmf(self, leg: Leg, digit: str) -> None: ...

    def on_leg_hold(self, leg: Leg) -> None: ...

    def on_leg_transfer(self, leg: Leg, refer: Refer) -> Leg | None: ...


@dataclass(frozen=True)
class Refer:
    """A party's transfer request: the extension it names, and for an attended transfer
    the Call-ID of the dialog it replaces (the transferor's call with the target)."""

    target: str
    replaces: str = ""


class Leg(pj.Call):  # type: ignore[misc]  # pjsua2 (SWIG) is untyped, so Any
    """pjsua2's Call with the state the call flows need kept in plain attributes."""

    #: Every Leg not yet deleted: once calls are over it must be empty (see ``remains``).
    alive: ClassVar[weakref.WeakSet[Leg]] = weakref.WeakSet()

    def __init__(
        self,
        account: pj.Account,
        *,
        role: str,
        listener: LegListener,
        call_id: int = pj.PJSUA_INVALID_ID,
    ) -> None:
        super().__init__(account, call_id)
        Leg.alive.add(self)
        self.account = account
        self.role = role
        self.listener = listener
        self.state = LegState.INCOMING if call_id != pj.PJSUA_INVALID_ID else LegState.NEW
        self.status = 0
        self.reason = ""
        self.call_id = ""
        self._audio: pj.AudioMedia | None = None
        self._media_index = 0
        #: The audio flows both ways (neither side holds it): silence would mean trouble.
        self.media_active = False
        #: The party put the call on hold (their phone's hold key: a=sendonly or inactive).
        self.held = False
        #: Digits the party keyed during the call, until they make an in-call code or not.
        self.keyed = ""

    def __repr__(self) -> str:
        return f"<Leg {self.role} {self.state} {self.status}>"

    # pjsua2 callbacks, on the engine thread.
    def onCallState(self, prm: pj.OnCallStateParam) -> None:  # noqa: N802
        info = self.getInfo()
        self.state = _STATES[info.state]
        self.status = info.lastStatusCode
        self.reason = info.lastReason
        self.call_id = info.callIdString
        if self.state is LegState.DISCONNECTED:
            self._audio = None
        self.listener.on_leg_state(self)

    def onCallMediaState(self, prm: pj.OnCallMediaStateParam) -> None:  # noqa: N802
        info = self.getInfo()
        audio = [(i, m) for i, m in enumerate(info.media) if m.type == pj.PJMEDIA_TYPE_AUDIO]
        self.media_active = any(m.status == pj.PJSUA_CALL_MEDIA_ACTIVE for _, m in audio)
        held = any(m.status == pj.PJSUA_CALL_MEDIA_REMOTE_HOLD for _, m in audio)
        for index, media in audio:
            if media.status != pj.PJSUA_CALL_MEDIA_ACTIVE:
                continue
            port = self.getAudioMedia(index)
            # A stream pjsua had to make anew (the party resumed from hold, or moved: a
            # handset at another base, a phone on another network) is a new port in the
            # bridge, connected to nothing: whoever listened or spoke must connect again.
            new = self._audio is None or port.getPortId() != self._audio.getPortId()
            if new or self.held:
                self._audio = port
                self._media_index = index
                self.listener.on_leg_media(self)
            break
        if held != self.held:
            self.held = held
            self.listener.on_leg_hold(self)

    def onDtmfDigit(self, prm: pj.OnDtmfDigitParam) -> None:  # noqa: N802
        self.listener.on_leg_dtmf(self, prm.digit)

    def onCallTransferRequest(self, prm: pj.OnCallTransferRequestParam) -> None:  # noqa: N802
        """The party's transfer key (a REFER): pjsua places the call to the target on the
        leg the listener gives, and tells the party how it goes; none refuses the REFER."""
        refer = Refer(user_of(prm.dstUri), replaces_call_id(prm.dstUri))
        target = self.listener.on_leg_transfer(self, refer)
        if target is None:
            prm.statusCode = pj.PJSIP_SC_FORBIDDEN
            return
        prm.opt.textCount = 0  # audio only, as every other leg (see audio_only)
        prm.newCall = target

    # Commands.
    def dial(self, uri: str, *, from_uri: str, headers: dict[str, str] | None = None) -> None:
        prm = audio_only()
        prm.txOption.localUri = from_uri
        for name, value in (headers or {}).items():
            header = pj.SipHeader()
            header.hName = name
            header.hValue = value
            prm.txOption.headers.append(header)
        self.state = LegState.CALLING
        self.makeCall(uri, prm)

    def respond(self, status: int, reason: str = "") -> None:
        """Provisional (180/183) or final 200 answer to an incoming leg."""
        prm = audio_only()
        prm.statusCode = status
        if reason:
            prm.reason = reason
        self.answer(prm)

    def end(self, status: int = 0, reason: str = "") -> None:
        """Hangs up; an unanswered incoming leg is refused with ``status``."""
        if self.state is LegState.DISCONNECTED:
            return
        prm = pj.CallOpParam()
        if status:
            prm.statusCode = status
        if reason:
            prm.reason = reason
        try:
            self.hangup(prm)
        except pj.Error as exc:
            log.warning("hangup of %r failed: %s", self, exc.info())

    @property
    def audio(self) -> pj.AudioMedia | None:
        return self._audio

    def remote_user(self) -> str:
        """The other party's user: the extension a callee leg reached, a caller's number."""
        return user_of(self.getInfo().remoteUri)

    def rtp_counts(self) -> dict[str, int]:
        """Packets received and sent on this leg's audio: the proof media flows through us."""
        try:
            rtcp = self.getStreamStat(self._media_index).rtcp
        except pj.Error:  # no stream (yet, or any more)
            return {"rx_packets": 0, "tx_packets": 0}
        return {"rx_packets": rtcp.rxStat.pkt, "tx_packets": rtcp.txStat.pkt}

    def remains(self) -> EndedLeg:
        """What the call keeps of a leg that has ended, so the pjsua2 object can go now.

        pjsua2's Call destructor clears the user data of its slot; a Call deleted
        late, after pjsua reused the slot, would cut a newer call off from its
        callbacks. Ended legs are therefore dropped at once and only this stays.
        """
        return EndedLeg(self.role, self.status, self.reason, self.call_id)


@dataclass(frozen=True)
class EndedLeg:
    role: str
    status: int
    reason: str
    call_id: str
    state: LegState = LegState.DISCONNECTED
    audio: None = None

    def end(self, status: int = 0, reason: str = "") -> None:
        """Already ended."""

    def rtp_counts(self) -> dict[str, int]:
        return {"rx_packets": 0, "tx_packets": 0}
