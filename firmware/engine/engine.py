"""The engine process: pjsua2, lines, call flows, the CDR and the control socket, wired together.

This is the one place that builds the objects; everything else receives what
it needs through its constructor.
"""

from __future__ import annotations

import gc
import logging
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pjsua2 as pj

from drivers.hardware import Hardware
from firmware.boards import load_board
from firmware.config import Config, ConfigError, last_good, load_config
from firmware.config.inbound import Department
from firmware.config.load import number_plan
from firmware.config.schema import Trunk
from firmware.config.target import Kind, Target
from firmware.engine.call import IGNORE, Call, CallContext, Destination, Stoppable
from firmware.engine.caps import CallCaps
from firmware.engine.console import COMMANDS as CONSOLE_COMMANDS
from firmware.engine.console import Console
from firmware.engine.control import ControlServer
from firmware.engine.endpoint import AccountEvents, SipEndpoint
from firmware.engine.features.blf.service import ParkLamps
from firmware.engine.features.conference.service import Rooms
from firmware.engine.features.door.service import Doors
from firmware.engine.features.hold.service import Hold
from firmware.engine.features.inbound.service import Inbound
from firmware.engine.features.incall.service import InCallCodes
from firmware.engine.features.line_in.service import hold_music
from firmware.engine.features.lines.service import Lines
from firmware.engine.features.modes.service import ModeKeeper
from firmware.engine.features.outbound.service import Outside
from firmware.engine.features.paging.service import Paging
from firmware.engine.features.panel.service import PanelService
from firmware.engine.features.park.service import Park
from firmware.engine.features.pickup.service import Pickup
from firmware.engine.features.queues.service import Queues
from firmware.engine.features.recording.service import Recording
from firmware.engine.features.scenarios.service import ScenarioRun
from firmware.engine.features.transfer.service import Transfer
from firmware.engine.features.voicemail.service import Voicemail
from firmware.engine.features.voicemail.states import MailboxAccess
from firmware.engine.features.zones.service import ZonePaging
from firmware.engine.leg import Leg
from firmware.engine.loop import EngineLoop
from firmware.engine.media import TonePlayer
from firmware.engine.media_watch import MediaWatch
from firmware.engine.prompts import PromptPlayer
from firmware.engine.serial_drivers import SerialDrivers
from firmware.engine.sipmsg import Request
from firmware.engine.states import Confirming, Dialing, Refusing
from firmware.home import Home
from firmware.icm_lookup import IcmLookup
from firmware.prompts import BUILT_DIR
from firmware.prompts.check import prompt_problems
from firmware.prompts.library import PromptLibrary, PromptMissing
from firmware.routing.dialplan import RingExtension, voicemail_code
from firmware.routing.incall import park_slot
from firmware.routing.modes import feature_code, may_force
from firmware.routing.numbers import as_written
from firmware.routing.outbound import (
    CallOut,
    route_dialed,
)
from firmware.routing.outcome import Disposition, Party, Refusal
from firmware.routing.pickup import pickup_code
from firmware.routing.scenarios import inbound_plan
from firmware.routing.toneplans import Tone, tone_for
from firmware.sipedge.rpc import rpc_socket
from firmware.sipedge.subscribers import registered, write_subscribers
from firmware.store import analytics
from firmware.store.cdr import CallEnd, CallRecords
from firmware.store.db import connect, transaction
from firmware.store.door import DoorLog
from firmware.store.recordings import RecordingArchive
from firmware.store.voicemail import Mailboxes

if TYPE_CHECKING:
    from drivers.provisioning import ProvisioningService

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10.0
#: How a ring-back rings (a forgotten hold, a transfer nobody took), so a phone may give it
#: a ring of its own.
RECALL_ALERT = "<urn:alert:service:recall>"

FEATURE_REFUSED = Refusal(
    403, "Forbidden", Tone.CONGESTION, Disposition.FAILED, "not allowed to force a mode"
)
NOBODY_FREE = Refusal(
    480, "Temporarily Unavailable", Tone.BUSY, Disposition.BUSY, "no member of the department free"
)
NO_LINE = Refusal(
    503, "No Line Available", Tone.CONGESTION, Disposition.FAILED, "no permitted line is up"
)
NOTHING_TO_PICK_UP = Refusal(
    404, "Not Found", Tone.UNOBTAINABLE, Disposition.FAILED, "nothing ringing to pick up"
)
NOTHING_PARKED = Refusal(
    404, "Not Found", Tone.UNOBTAINABLE, Disposition.FAILED, "no call parked on that line"
)
NOT_OURS = Refusal(404, "Not Found", None, Disposition.FAILED, "number not owned by this box")
UNKNOWN_SOURCE = Refusal(403, "Forbidden", None, Disposition.FAILED, "caller not identified")


class Engine:
    def __init__(self, config: Config, home: Home) -> None:
        self.config = config
        self.home = home
        self.sip = SipEndpoint(config, log_path=home.pjsua_log)
        self.store = connect(home.store)
        self.loop = EngineLoop(self.sip.pump, turn=lambda: transaction(self.store))
        self.serial_drivers = SerialDrivers(lambda: self.config, home)
        self.provisioning = self._provisioning() if config.provisioning.enabled else None
        self.records = CallRecords(self.store, on_closed=self.serial_drivers.call_closed)
        self.lines = Lines(config, sip=self.sip, loop=self.loop, on_change=self._line_changed)
        self.calls: list[Call] = []
        self.caps = CallCaps(calls=lambda: self.calls, config=lambda: self.config)
        self.outside = Outside(
            config=lambda: self.config,
            lines=self.lines,
            records=self.records,
            placed_by=self.caps.placed_by,
            box_call=self._box_call,
            abandon=self._abandon,
        )
        self.control = ControlServer(home.control_socket, self.loop, self._command)
        self.prompts = PromptLibrary(built=BUILT_DIR, custom=home.custom_prompts)
        self.hardware = Hardware.for_board(
            load_board(config.system.board), run_dir=home.run_dir, scheduler=self.loop
        )
        self.zone_paging = ZonePaging(
            config=lambda: self.config,
            zones=self.hardware.zones,
            new_call=self.new_call,
            recordings=home.run_dir / "pages",
            prompts=self.prompts,
        )
        self.voicemail = Voicemail(
            mailboxes=Mailboxes(self.store, home.voicemail_dir),
            loop=self.loop,
            config=lambda: self.config,
            notify=self._message_waiting,
        )
        self.queues = Queues(
            loop=self.loop,
            store=self.store,
            music_path=BUILT_DIR / "music" / "default.wav",
            department=self._department,
            member_free=lambda department, member: self.inbound.member_free(
                department.number, member
            ),
            member_destination=lambda member, caller, ring: replace(
                self.extension_destination(member, caller), ring_timeout=ring
            ),
            call_back=self._queue_call_back,
        )
        self.icm_lookup = IcmLookup(config.icm)
        self.pickup = Pickup(calls=lambda: self.calls, config=lambda: self.config)
        self.inbound = Inbound(
            config=lambda: self.config,
            store=self.store,
            calls=lambda: self.calls,
            online=lambda: registered(home.sipedge_db),
            extension=self.extension_destination,
            outside=self.outside,
            queues=self.queues,
            voicemail=self.voicemail,
            icm_lookup=lambda: self.icm_lookup,
            box_call=self._box_call,
            abandon=self._abandon,
        )
        self.transfer = Transfer(
            config=lambda: self.config,
            calls=lambda: self.calls,
            party_phone=self._party_phone,
            extension=self.extension_destination,
            hand_on=self.inbound.hand_on,
            shown=self.inbound.shown,
        )
        self.hold = Hold(
            music_path=BUILT_DIR / "music" / "default.wav",
            settings=lambda: self.config.hold,
            holder_phone=self._party_phone,
            music=hold_music(
                self.hardware.line_in, loop=self.loop, settings=lambda: self.config.hold_music
            ),
        )
        self.paging = Paging(
            loop=self.loop,
            account=lambda: self.sip.account,
            new_leg=lambda account, listener: Leg(account, role="page", listener=listener),
            play_prompts=self._play_prompts,
            domain=lambda: self.config.system.sip_domain,
        )
        self.park_lamps = ParkLamps(config=lambda: self.config, rpc_socket=rpc_socket(home.run_dir))
        self.park = Park(
            config=lambda: self.config,
            music=self.hold.player,
            party_phone=self._party_phone,
            page=self._page,
            slot_changed=self.park_lamps.slot_changed,
            parked=self.serial_drivers.parked,
        )
        self.rooms = Rooms(
            config=lambda: self.config,
            extension=self.extension_destination,
            line_to=lambda call, out, shown: self.outside.line_to(
                call, out.trunks, out.number.normal, shown=shown
            ),
        )
        self.recording = Recording(
            config=lambda: self.config,
            archive=RecordingArchive(self.store, home.recordings_dir),
            loop=self.loop,
        )
        self.in_call = InCallCodes(
            config=lambda: self.config,
            transfer=self.transfer,
            park=self.park,
            rooms=self.rooms,
            recording=self.recording,
            open_door=lambda door, by: self.doors.open(door, by=by),
        )
        self.modes = ModeKeeper(self.store, lambda: self.config, clock=self.inbound.now)
        self.panel = self.hardware.panel and PanelService(
            self.hardware.panel,
            loop=self.loop,
            modes=self.modes,
            now=self.inbound.now,
            config=lambda: self.config,
            calls=lambda: self.calls,
        )
        self.doors = Doors(
            config=lambda: self.config,
            relay=self.hardware.door,
            openings=DoorLog(self.store),
            new_call=self.new_call,
            inbound=self.inbound,
            mode=lambda: str(self.modes.describe(self.inbound.now())["mode"]),
        )
        self.console = Console(
            config=lambda: self.config,
            calls=lambda: self.calls,
            queues=self.queues,
            park=self.park,
            transfer=self.transfer,
            modes=self.modes,
            doors=self.doors,
            extension=self.extension_destination,
            now=self.inbound.now,
        )
        self.media_watch = MediaWatch(
            self.loop, lambda: self.calls, lambda: self.config.calls.media_timeout
        )

    def run(self) -> None:
        analytics.close_interrupted(self.store)
        closed = self.records.close_interrupted()
        if closed:
            log.warning("closed %d call(s) left open by an engine that stopped", closed)
        self.sip.start(AccountEvents(incoming=self._incoming, answered=self.lines.adapter_answered))
        self.lines.start()
        self.serial_drivers.start()
        if self.provisioning is not None:
            self.provisioning.start()
        self.control.start()
        signal.signal(signal.SIGHUP, lambda *_: self.loop.post(self.reload))
        signal.signal(signal.SIGTERM, lambda *_: self.loop.stop())
        signal.signal(signal.SIGINT, lambda *_: self.loop.stop())
        self._heartbeat()
        self.recording.sweep_regularly()
        self.park_lamps.all_free()
        self.media_watch.start()
        log.info("engine ready on 127.0.0.1:%d", self.config.network.engine_port)
        try:
            self.loop.run()
        finally:
            self._shutdown()

    def _heartbeat(self) -> None:
        self.records.heartbeat()
        self.loop.call_later(HEARTBEAT_SECONDS, self._heartbeat)

    def _shutdown(self) -> None:
        log.info("engine stopping with %d call(s) up", len(self.calls))
        self.control.stop()
        for call in list(self.calls):
            call.hang_up_everything()
        self.paging.end()
        deadline = time.monotonic() + 2.0
        while (self.calls or self.paging.pages) and time.monotonic() < deadline:
            self.loop.run_once()
        self.calls.clear()
        self.paging.pages.clear()
        self.voicemail.close()
        self.inbound.contact_manager.close()
        self.hold.close()
        self.recording.close()
        self.park_lamps.close()
        self.icm_lookup.close()
        self.hardware.close()
        gc.collect()  # calls and players go before the accounts they use
        self.lines.stop()
        gc.collect()  # pjsua2 objects must be gone before the library
        self.records.close_interrupted()
        self.serial_drivers.stop()
        if self.provisioning is not None:
            self.provisioning.stop()
        self.sip.destroy()

    # Calls arriving.
    def _context(self) -> CallContext:
        region = self.config.system.region
        assert self.sip.account is not None
        return CallContext(
            loop=self.loop,
            account=self.sip.account,
            records=self.records,
            tones=lambda tone: TonePlayer(tone_for(region, tone)),
            new_leg=lambda account, listener: Leg(account, role="b", listener=listener),
            play_prompts=self._play_prompts,
            tone_timeout=self.config.calls.tone_timeout,
            sip_domain=self.config.system.sip_domain,
            on_finished=self.finished,
            hold=self.hold.held,
            transfer=self.transfer.requested,
            keyed=self.in_call.keyed,
            release_line=self.lines.release,
        )

    def _incoming(self, call_id: int, invite: Request) -> None:
        assert self.sip.account is not None
        a_leg = Leg(self.sip.account, role="a", listener=IGNORE, call_id=call_id)
        a_leg.call_id = a_leg.getInfo().callIdString
        who = self._identify(invite)
        if isinstance(who, Trunk):
            self._from_line(a_leg, invite, who.name)
        elif who is not None:
            self._from_extension(a_leg, invite, who)
        else:
            self.new_call(a_leg, caller="?", dialed=invite.request_user).start(
                Refusing(UNKNOWN_SOURCE)
            )

    def _identify(self, invite: Request) -> Trunk | str | None:
        """The trunk or extension a call comes from, as Kamailio vouched for it; None
        when nothing trustworthy says so. Only Kamailio sends to the engine, and it
        sets exactly one trust header: anything else is a forgery and refused."""
        why = ""
        if invite.source != self.sip.edge_address:
            why = f"not from the SIP edge ({invite.source})"
        elif len(invite.auth) + len(invite.token) != 1:
            why = f"{len(invite.auth)} auth and {len(invite.token)} token headers"
        elif invite.token:
            trunk = self.lines.by_token(invite.token[0])
            if trunk is not None:
                return trunk
            why = "unknown trunk token"
        elif (trunk := self.lines.by_adapter(invite.auth[0])) is not None:
            return trunk
        elif self.config.extension(invite.auth[0]) is not None:
            return invite.auth[0]
        else:
            why = f"unknown user {invite.auth[0]!r}"
        log.warning("call %s -> %s refused: %s", invite.from_user, invite.request_user, why)
        return None

    def new_call(
        self, a_leg: Leg, *, caller: str, dialed: str, callee: str | None = None, **details: Any
    ) -> Call:
        record = self.records.open(
            call_id=a_leg.call_id, caller=caller, callee=callee or dialed, dialed=dialed, **details
        )
        direction = str(details.get("direction", "internal"))
        call = Call(
            self._context(), a_leg, caller=caller, dialed=dialed, record=record, direction=direction
        )
        self.calls.append(call)
        self.recording.attach(call)
        return call

    def _provisioning(self) -> ProvisioningService:
        """The phones' provisioning service, for a box that provisions: FastAPI and uvicorn
        cost the engine 37 MB, which a box without it does not spend."""
        from drivers.provisioning import ProvisioningService, box_key  # noqa: PLC0415

        return ProvisioningService(config=lambda: self.config, key=box_key(self.home.root))

    def _box_call(self, extension: str, number: str, **details: Any) -> tuple[Leg, Call]:
        """A call the box places on ``extension``'s behalf (a callback to ``number``); its
        a_leg is not dialed yet."""
        assert self.sip.account is not None
        a_leg = Leg(self.sip.account, role="a", listener=IGNORE)
        call = self.new_call(
            a_leg, caller=extension, dialed=number, direction="outbound", **details
        )
        return a_leg, call

    def _abandon(self, call: Call, why: str) -> None:
        """A call the box placed that could not start: its record closes as failed."""
        call.finish(CallEnd(Disposition.FAILED, Party.SYSTEM, 503, why))
        self.finished(call)

    def _from_extension(self, a_leg: Leg, invite: Request, extension: str) -> None:
        dialed = invite.request_user
        if self.doors.route(a_leg, extension, dialed) or self.zone_paging.route(
            a_leg, extension, dialed
        ):
            return
        decision = route_dialed(self.config, caller=extension, dialed=dialed)
        capped = self.caps.refusal(extension, decision)
        if capped is not None:
            log.warning("call from %s to %s refused: %s", extension, dialed, capped.why)
            self.new_call(a_leg, caller=extension, dialed=dialed).start(Refusing(capped))
            return
        room = self.rooms.enter(dialed)
        if room is not None:
            self.new_call(a_leg, caller=extension, dialed=dialed).start(room)
            return
        if park_slot(self.config, dialed) is not None:
            if not self.park.take(a_leg, extension, dialed):
                self.new_call(a_leg, caller=extension, dialed=dialed).start(
                    Refusing(NOTHING_PARKED)
                )
            return
        code = pickup_code(self.config, dialed)
        if code is not None:
            if not self.pickup.take(a_leg, extension, code):
                self.new_call(a_leg, caller=extension, dialed=dialed).start(
                    Refusing(NOTHING_TO_PICK_UP)
                )
            return
        special = self._feature(a_leg, extension, dialed)
        if special is not None:
            return
        if isinstance(decision, CallOut):
            call = self.new_call(
                a_leg,
                caller=extension,
                dialed=dialed,
                callee=decision.number.normal,
                direction="outbound",
                number_class=decision.number.number_class.value,
            )
            call.start(self.outside.place(call, decision))
            return
        call = self.new_call(a_leg, caller=extension, dialed=dialed, direction="internal")
        if isinstance(decision, RingExtension):
            call.start(Dialing(self.inbound.extension_plan(decision.number, call)))
        elif (department := self.config.department(dialed)) is not None:
            plan = self.inbound.department_plan(department.number, call)
            call.start(Dialing(plan) if plan else Refusing(NOBODY_FREE))
        else:
            call.start(Refusing(decision))

    def _from_line(self, a_leg: Leg, invite: Request, trunk_name: str) -> None:
        trunk = self.config.trunk(trunk_name)
        assert trunk is not None
        plan = number_plan(self.config)
        caller = as_written(invite.from_user, plan)
        owned = [n for n in self.config.numbers if n.trunk == trunk_name]
        if trunk.kind == "sip":
            did = as_written(invite.to_user, plan)
            owned = [n for n in owned if as_written(n.number, plan) == did]
        else:
            did = as_written(owned[0].number, plan) if owned else trunk.username
        call = self.new_call(
            a_leg, caller=caller, dialed=did, direction="inbound", trunk=trunk_name
        )
        self.outside.seize(call, trunk_name)
        route = inbound_plan(self.config, did, self.inbound.now(), self.modes.override)
        if not owned or route is None:
            log.warning("call on trunk %s for %s, a number this box does not own", trunk_name, did)
            call.start(Refusing(NOT_OURS))
            return
        if route.destination is not None:
            self.records.note(call.record, destination=route.destination)
            call.start(Dialing(self.inbound.extension_plan(route.destination, call)))
            return
        assert route.scenario is not None
        log.info(
            "call %s: mode %s (%s), scenario %s", call.record, route.mode, route.why, route.scenario
        )
        self.records.note(call.record, destination=str(Target(Kind.SCENARIO, route.scenario)))
        run = ScenarioRun(self.inbound, call, scenario=route.scenario, mode=route.mode, number=did)
        call.start(run.next())

    def _party_phone(self, call: Call, party: Leg) -> Destination | None:
        """The extension on ``party``'s side of ``call``, to ring back (a forgotten hold, a
        transfer nobody answered) showing who waits; None for a party outside the box."""
        number = party.remote_user()
        if self.config.extension(number) is None:
            return None
        waiting = call.other(party)
        shown = waiting.remote_user() if isinstance(waiting, Leg) else call.caller
        destination = self.extension_destination(number, shown)
        return replace(destination, headers={"Alert-Info": RECALL_ALERT})

    def extension_destination(self, number: str, caller: str) -> Destination:
        domain = self.config.system.sip_domain
        return Destination(
            uri=f"sip:{number}@{domain}",
            from_uri=f"<sip:{caller}@{domain}>",
            ring_timeout=self.config.calls.ring_timeout,
            key=number,
        )

    def _queue_call_back(
        self, department: Department, member: str, ident: int, number: str
    ) -> bool:
        # Queues are made before Inbound, which they need only at run time.
        return self.inbound.call_back(department, member, ident, number)

    def _line_changed(self, trunk: str) -> None:
        self.outside.line_changed(trunk)
        if (line := self.lines.lines.get(trunk)) is not None:
            self.serial_drivers.line_changed(line.status())

    def finished(self, call: Call) -> None:
        if call in self.calls:
            self.calls.remove(call)
        for trunk in call.trunks:
            self.lines.release(trunk)
        call.trunks.clear()
        for party in (call.caller, call.b_key):
            wrap = [d.queue.wrap_up for d in self.config.departments if party in d.members]
            if wrap:
                self.queues.member_done(party, max(wrap))

    # Features dialed from an extension.
    def _feature(self, a_leg: Leg, extension: str, dialed: str) -> Call | None:
        """Mode forcing (*80x) and mailboxes (*97, *98NNN); None when ``dialed`` is neither."""
        action = feature_code(self.config.modes, dialed)
        mailbox = voicemail_code(self.config, extension, dialed)
        if action is None and mailbox is None:
            return None
        call = self.new_call(a_leg, caller=extension, dialed=dialed, direction="internal")
        if mailbox is not None:
            call.start(MailboxAccess(self.voicemail, mailbox, self.config))
        elif action is not None and may_force(self.config, extension):
            self.modes.apply(action, extension, self.inbound.now())
            call.start(Confirming(f"mode: {self.modes.describe(self.inbound.now())}"))
        else:
            call.start(Refusing(FEATURE_REFUSED))
        return call

    def _page(self, phones: Sequence[str], prompts: list[str | Path]) -> None:
        """A park's announcement: on the phones that answer by themselves, and over zones."""
        self.paging.page(phones, prompts)
        self.zone_paging.announce(prompts)

    def _department(self, number: str) -> Department | None:
        return self.config.department(number)

    def _message_waiting(self, extension: str, body: str) -> None:
        if self.sip.account is not None:
            self.sip.account.notify(f"sip:{extension}@{self.config.system.sip_domain}", body)

    def _play_prompts(
        self, names: Sequence[str | Path], audio: pj.AudioMedia, done: Callable[[], None]
    ) -> Stoppable:
        """Plays what exists; a missing prompt is logged (config check reports it too)."""
        files = []
        for name in names:
            if isinstance(name, Path):
                files.append(name)
                continue
            try:
                files.append(self.prompts.path(name, self.config.system.language))
            except PromptMissing as exc:
                log.error("%s", exc)
        player = PromptPlayer(self.loop, files, done)
        player.start(audio)
        return player

    # Control.
    def reload(self) -> dict[str, Any]:
        """Applies pbx.toml again; a bad file changes nothing and says why."""
        try:
            new = load_config(self.home.config)
        except ConfigError as exc:
            log.error("reload refused:\n%s", exc.render())
            return {"ok": False, "errors": [p.render(exc.filename) for p in exc.problems]}
        text = self.home.config.read_text(encoding="utf-8")
        problems = prompt_problems(new, self.prompts, text)
        if problems:
            errors = [p.render(str(self.home.config)) for p in problems]
            log.error("reload refused:\n%s", "\n".join(errors))
            return {"ok": False, "errors": errors}
        beyond = self.sip.limits.problems(new)
        if beyond:
            log.error("reload refused:\n%s", "\n".join(beyond))
            return {"ok": False, "errors": beyond}
        restart = [
            key
            for key in ("network", "capacity", "smdr", "espa")
            if getattr(new, key) != getattr(self.config, key)
        ]
        last_good.keep(text, self.home.last_good_config)
        write_subscribers(self.home.sipedge_db, new)
        if new.icm != self.config.icm:
            old, self.icm_lookup = self.icm_lookup, IcmLookup(new.icm)
            self.loop.call_later(old.timeout + 1.0, old.close)  # after lookups under way
        self.config = new
        self.lines.reload(new)
        log.info("config reloaded: %d extension(s)", len(new.extensions))
        result: dict[str, Any] = {"ok": True, "extensions": len(new.extensions)}
        if restart:
            result["restart_needed"] = restart
        return result

    def _command(self, request: dict[str, Any]) -> dict[str, Any]:
        command = request.get("cmd")
        if command == "reload":
            return self.reload()
        if command == "status":
            return {
                "ok": True,
                "mode": self.modes.describe(self.inbound.now()),
                "calls": [c.status() for c in self.calls],
                "legs_alive": len(Leg.alive),
                "engine": {
                    **self.sip.limits.as_dict(),
                    "calls_configured": self.sip.capacity.calls,
                    "legs_configured": self.sip.capacity.legs,
                },
                "trunks": [line.status() for line in self.lines.lines.values()],
                "drivers": self.serial_drivers.status(),
                "provisioning": self.provisioning.status() if self.provisioning else None,
                "queues": self.queues.status(),
                "icm": self.icm_lookup.status(),
                "recordings": self.recording.status(),
                "hardware": self.hardware.status(),
                "door_openings": self.doors.status(),
                "line_queue": [
                    {"extension": r.extension, "number": r.number}
                    for r in self.outside.line_queue.requests
                ],
            }
        if command in CONSOLE_COMMANDS:
            return self.console.command(request)
        return {"ok": False, "errors": [f"unknown command {command!r}"]}
