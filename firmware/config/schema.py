"""The shape of pbx.toml: every key an installer may write, with its rules.

Unknown keys are errors, not silently ignored: a typo such as ``pasword``
must be caught at ``config check`` rather than leaving a phone unable to log in.
"""

from __future__ import annotations

import re
import zoneinfo
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from firmware.boards import board_names
from firmware.config.base import ExtensionNumber, IpAddress, Seconds, Section
from firmware.config.espa import Espa
from firmware.config.hardware import Door, HoldMusic, PagingSettings
from firmware.config.icm import Icm
from firmware.config.inbound import (
    Conference,
    Department,
    Menu,
    ModeName,
    Modes,
    Name,
    Pin,
    Scenario,
    Voicemail,
)
from firmware.config.provisioning import Provisioning
from firmware.config.recording import Recording
from firmware.config.smdr import Smdr
from firmware.config.web import Web
from firmware.routing.toneplans import TONE_PLANS

Digits = Annotated[str, Field(pattern=r"^[0-9]+$")]

_HOSTNAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.?)+$")
_WEAK = {"password", "1234567890", "0123456789", "qwertyuiop", "changeme12", "administrator"}


class System(Section):
    name: str = Field("Office", min_length=1, max_length=80)
    region: str = Field("RU", description="ISO 3166 country: numbering plan and tones")
    language: Literal["ru", "de", "en"] = "ru"
    area_code: Digits | Literal[""] = ""
    timezone: str = "Europe/Moscow"
    sip_domain: str
    board: str = "sim"

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        if value not in TONE_PLANS:
            known = ", ".join(sorted(TONE_PLANS))
            raise ValueError(f"no tone plan for region {value!r} (supported: {known})")
        return value

    @field_validator("board")
    @classmethod
    def _known_board(cls, value: str) -> str:
        if value not in board_names():
            raise ValueError(f"no board {value!r} (boards: {', '.join(board_names())})")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. 'Europe/Moscow')") from None
        return value

    @field_validator("sip_domain")
    @classmethod
    def _hostname(cls, value: str) -> str:
        if not _HOSTNAME.match(value):
            raise ValueError(f"{value!r} is not a host name or address")
        return value.lower()


class Network(Section):
    """Where the box listens. Only Kamailio faces the network; the engine stays on loopback."""

    sip_address: IpAddress = "127.0.0.1"
    sip_port: int = Field(5060, ge=1, le=65535)
    media_address: IpAddress = "127.0.0.1"
    rtp_port_min: int = Field(10000, ge=1024, le=65000)
    rtp_port_max: int = Field(11999, ge=1024, le=65535)
    engine_port: int = Field(5070, ge=1, le=65535)

    @model_validator(mode="after")
    def _ports(self) -> Network:
        if self.rtp_port_max - self.rtp_port_min < 16:
            raise ValueError("rtp_port_max must be at least 16 above rtp_port_min")
        if self.engine_port == self.sip_port:
            raise ValueError("engine_port and sip_port must differ")
        return self


class Capacity(Section):
    """How many calls the engine holds at once; its legs, RTP ports and media follow.

    Every call is anchored in the engine, so a bridged call is two legs, and a
    ringing group, a waiting caller or an announcement holds legs of its own.
    """

    calls: int = Field(300, ge=1, le=2000, description="simultaneous calls the engine anchors")

    @property
    def legs(self) -> int:
        """Two legs per call and half as many again for ringing groups, queues and prompts."""
        return self.calls * 5 // 2

    @property
    def media_ports(self) -> int:
        """Conference bridge slots: a leg's audio each, a player each, and the null device."""
        return self.legs * 2 + 1


class Calls(Section):
    """Timers every call follows; tests shorten them, installers rarely touch them."""

    ring_timeout: Seconds = Field(30, description="how long a callee rings before no answer")
    tone_timeout: Seconds = Field(
        10, description="how long a busy or congestion tone plays before the call is released"
    )
    max_per_extension: int = Field(
        4, ge=1, le=60, description="simultaneous calls one extension may place, of every kind"
    )
    media_timeout: Seconds = Field(
        60, description="a call leg that sends no RTP this long (not on hold) is hung up"
    )
    outside_parties_stay: bool = Field(
        False,
        description="when the office's last party leaves a call of three, the parties "
        "outside stay connected (true) or are let go (false: their lines are the office's)",
    )


class Hold(Section):
    """What the box does about a call its holder forgets: the office's etiquette says 40 s."""

    remind_after: float = Field(
        40, ge=0, le=3600, description="seconds on hold before the holder's phone rings briefly"
    )
    remind_ring: Seconds = Field(3, description="how long that reminder rings")
    recall_after: float = Field(
        120, ge=0, le=3600, description="seconds on hold before the holder is rung back"
    )

    @model_validator(mode="after")
    def _reminder_first(self) -> Hold:
        if self.remind_after and self.recall_after and self.recall_after <= self.remind_after:
            raise ValueError("recall_after comes after remind_after (or set one of them to 0)")
        return self


class Park(Section):
    """Park slots, the receptionist's "lines": a parked caller waits with music."""

    slots: int = Field(9, ge=1, le=20, description="slots 1 to slots")
    timeout: Seconds = Field(120, description="a call nobody takes rings its parker back")
    announce_to: list[ExtensionNumber] = Field(
        default_factory=list, description="phones paged 'waiting on line N' (auto-answer)"
    )


class Supervisor(Section):
    """How ``minipbx run`` restarts a crashed engine: soon, then slower, then never.

    A crash loop (a bad disk, a bug hit by every call) must not spin the CPU
    nor hide behind restarts for ever: after ``restart_limit`` crashes within
    ``restart_window`` seconds the box stops and says why.
    """

    restart_delay: float = Field(0, ge=0, le=60, description="wait before the first restart")
    restart_backoff: Seconds = Field(1, description="wait before the second; doubles after")
    restart_backoff_max: Seconds = Field(30, description="longest wait between restarts")
    restart_limit: int = Field(5, ge=1, le=100, description="crashes in the window that stop")
    restart_window: Seconds = Field(300, description="seconds over which crashes are counted")


#: User-Agents of SIP scanners and password crackers seen on the internet; a request
#: carrying one bans its source at once. Letters, digits, space, _ / - only: each is
#: matched as a plain substring, case-insensitively.
SCANNER_USER_AGENTS = [
    "friendly-scanner",
    "sipvicious",
    "sipcli",
    "VaxSIPUserAgent",
    "sundayddr",
    "iWar",
    "SIVuS",
    "sip-scan",
    "sipscan",
    "pplsip",
    "smap",
]
UserAgentWord = Annotated[str, Field(pattern=r"^[A-Za-z0-9 _/-]{3,40}$")]


class Security(Section):
    """How the SIP edge holds against guessing, floods and idle TCP; tests set short ones."""

    auth_failures: int = Field(
        10, ge=1, le=1000, description="failed authentications that ban their source address"
    )
    auth_window: int = Field(
        60, ge=1, le=86400, description="seconds a failed authentication is counted for"
    )
    ban_time: int = Field(1800, ge=1, le=604800, description="seconds a source stays banned")
    lock_sources: int = Field(
        3, ge=2, le=1000, description="addresses failing on one extension that lock it"
    )
    flood_requests: int = Field(
        30, ge=5, le=100000, description="requests per flood_interval that ban a source"
    )
    flood_interval: int = Field(2, ge=1, le=60, description="seconds pike samples over")
    tcp_idle_timeout: int = Field(
        30, ge=2, le=3600, description="seconds an idle or half-sent TCP connection is kept"
    )
    tcp_max_connections: int = Field(1024, ge=16, le=16384)
    scanner_user_agents: list[UserAgentWord] = Field(
        default_factory=lambda: list(SCANNER_USER_AGENTS)
    )


NUMBER_CLASSES = ("local", "long_distance", "mobile", "international", "service")
NumberClassName = Literal["local", "long_distance", "mobile", "international", "service"]
DEFAULT_ALLOW: tuple[NumberClassName, ...] = ("local", "long_distance", "mobile", "service")
CallerId = Annotated[str, Field(pattern=r"^\+?[0-9]{3,16}$")]
TrunkName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]


class Outbound(Section):
    """Who may call out where. Emergency numbers always go out, whatever these say."""

    trunks: list[TrunkName] = Field(
        default_factory=list, description="trunks in order of preference; empty means all"
    )
    allow: list[NumberClassName] = Field(
        default_factory=lambda: list(DEFAULT_ALLOW),
        description="number classes this extension may dial; international is barred by default",
    )
    max_calls: int = Field(2, ge=0, le=60, description="simultaneous outside calls")
    max_per_hour: int = Field(30, ge=0, le=10000, description="outside calls started per hour")


FeatureCode = Annotated[str, Field(pattern=r"^[*#][0-9*#]{1,3}$")]


class Dialing(Section):
    outside_prefix: Annotated[str, Field(pattern=r"^[0-9]?$")] = "9"
    direct_national: bool = Field(
        False, description="national and mobile numbers also go out without the prefix"
    )
    pickup: FeatureCode = Field("*8", description="answers a phone ringing in one's pickup group")
    directed_pickup: FeatureCode = Field(
        "**", description="followed by an extension: answers that extension's ringing phone"
    )
    transfer: FeatureCode = Field(
        "*2", description="in a call, followed by an extension (and #): blind transfer"
    )
    add_party: FeatureCode = Field(
        "*3", description="in a call, followed by an extension (and #): brings them in"
    )
    park: FeatureCode = Field(
        "*7",
        description="in a call: parks it (and a slot: in that one); dialed with a slot: "
        "takes the call parked there",
    )

    @model_validator(mode="after")
    def _codes_differ(self) -> Dialing:
        if self.pickup.startswith(self.directed_pickup) or self.directed_pickup.startswith(
            self.pickup
        ):
            raise ValueError("pickup and directed_pickup must not begin alike")
        return self


class LineQueue(Section):
    """Camp-on for an outside line: the caller is rung back when a permitted line frees."""

    enabled: bool = True
    offer: Literal["key", "auto"] = "key"
    key: Annotated[str, Field(pattern=r"^[0-9*#]$")] = "1"
    offer_timeout: Seconds = 8
    expiry: Seconds = 600
    alert_info: str = "<urn:alert:service:recall:callback>"
    warning_tone: Seconds = 1


class Trunk(Section):
    name: TrunkName
    kind: Literal["sip", "fxo"]
    host: str = Field("", description="sip: the provider's registrar and proxy, host[:port]")
    username: str = Field(pattern=r"^[A-Za-z0-9_.+-]{1,64}$")
    password: str = Field(repr=False, min_length=1)
    auth_username: str = ""
    register_interval: Seconds = 300
    options_interval: float = Field(30, ge=0, le=3600, description="0 turns OPTIONS pings off")
    channels: int = Field(1, ge=1, le=120)
    dial_format: Literal["e164", "plus", "national"] | None = Field(
        None,
        description="how numbers are sent: 79161234567, +79161234567 or 89161234567; "
        "default e164 for sip, national for fxo",
    )
    inbound_only: bool = False
    caller_id: CallerId | None = None
    extension_caller_id: bool = False

    @property
    def number_format(self) -> str:
        return self.dial_format or ("e164" if self.kind == "sip" else "national")

    @model_validator(mode="after")
    def _kind_rules(self) -> Trunk:
        if self.kind == "sip" and not re.match(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$", self.host):
            raise ValueError('a sip trunk needs host = "registrar[:port]"')
        if self.kind == "fxo" and self.host:
            raise ValueError("an fxo trunk has no host: its adapter registers to the box")
        return self


class Number(Section):
    """A number the box owns (DID): the trunk it arrives on and where its calls go.

    Where is one of: an extension (``destination``), one scenario at all hours
    (``scenario``), or a scenario for each operating mode (``scenarios``).
    """

    number: str = Field(min_length=1, description="as people write it; read with the region")
    trunk: TrunkName
    destination: ExtensionNumber | None = None
    scenario: Name | None = None
    scenarios: dict[ModeName, Name] | None = None

    @model_validator(mode="after")
    def _one_destination(self) -> Number:
        given = [k for k in ("destination", "scenario", "scenarios") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("give exactly one of destination, scenario or scenarios")
        return self


class Extension(Section):
    number: ExtensionNumber
    name: str = Field(min_length=1, max_length=60)
    role: Literal["admin", "user"] = "user"
    password: str = Field(repr=False)
    email: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+$")
    mobile: str | None = Field(None, pattern=r"^\+?[0-9]{5,16}$")
    forward_after: Seconds | None = None
    device: str = Field("sip", pattern=r"^(sip|fxs:[0-9]+|dect:[0-9]+)$")
    caller_id: CallerId | None = None
    outbound: Outbound | None = None
    max_calls: int | None = Field(
        None, ge=1, le=60, description="simultaneous calls placed; default [calls]"
    )
    voicemail_pin: Pin | None = None
    dnd: bool = Field(False, description="do not disturb: never rung by departments and queues")
    pickup_groups: list[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]] = Field(
        default_factory=list,
        description="groups whose ringing phones this one picks up; none: its departments",
    )

    @field_validator("password")
    @classmethod
    def _strong_password(cls, value: str, info: ValidationInfo) -> str:
        if len(value) < 10:
            raise ValueError("must be at least 10 characters")
        number = info.data.get("number", "")
        if value.isdigit() or value.lower() in _WEAK or (number and number in value):
            raise ValueError("too easy to guess (digits only, a common password, or the number)")
        return value


class Config(Section):
    """The whole pbx.toml."""

    system: System
    network: Network = Network()
    capacity: Capacity = Capacity()
    calls: Calls = Calls()
    hold: Hold = Hold()
    park: Park = Park()
    supervisor: Supervisor = Supervisor()
    dialing: Dialing = Dialing()
    outbound: Outbound = Outbound()
    line_queue: LineQueue = LineQueue()
    extensions: list[Extension] = []
    trunks: list[Trunk] = []
    numbers: list[Number] = []
    modes: Modes = Modes()
    departments: list[Department] = []
    menus: list[Menu] = []
    scenarios: list[Scenario] = []
    conferences: list[Conference] = []
    voicemail: Voicemail = Voicemail()
    icm: Icm | None = None
    security: Security = Security()
    recording: Recording = Recording()
    doors: list[Door] = []
    paging: PagingSettings = PagingSettings()
    hold_music: HoldMusic = HoldMusic()
    smdr: Smdr = Smdr()
    espa: Espa = Espa()
    provisioning: Provisioning = Provisioning()
    web: Web = Web()

    def extension(self, number: str) -> Extension | None:
        return next((e for e in self.extensions if e.number == number), None)

    def department(self, number: str) -> Department | None:
        return next((d for d in self.departments if d.number == number), None)

    def menu(self, name: str) -> Menu | None:
        return next((m for m in self.menus if m.name == name), None)

    def scenario(self, name: str) -> Scenario | None:
        return next((s for s in self.scenarios if s.name == name), None)

    def conference(self, number: str) -> Conference | None:
        return next((c for c in self.conferences if c.number == number), None)

    def trunk(self, name: str) -> Trunk | None:
        return next((t for t in self.trunks if t.name == name), None)

    def outbound_for(self, extension: Extension) -> Outbound:
        """An extension's own rules, or the box's defaults in [outbound]."""
        return extension.outbound or self.outbound

    def call_cap_for(self, extension: Extension) -> int:
        """How many calls an extension may place at once: its own cap, or the box's."""
        return extension.max_calls or self.calls.max_per_extension
