"""A fake office with what inbound calls walk through: scenarios, queues, voicemail, ICM.

The services are the engine's own (``Inbound``, ``Queues``, ``Voicemail``,
``ContactManager``) over the fake office's loop and store; only what needs a
sound device is given here: the queue's music (who hears it) and the
recorder of a message (a WAV file, as pjsua's recorder writes one).
"""

from __future__ import annotations

import wave
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from firmware.config import Config
from firmware.config.inbound import Department
from firmware.engine.call import Call
from firmware.engine.features.inbound.service import Inbound
from firmware.engine.features.queues.service import Queues
from firmware.engine.features.scenarios.service import ScenarioRun
from firmware.engine.features.voicemail.service import Voicemail
from firmware.icm_lookup import IcmLookup
from firmware.store.voicemail import Mailboxes
from tests.support.fake_leg import FakeAudio, FakeLeg, Office
from tests.support.office_lines import extension_phone, outside

#: A Tuesday morning in the office's time zone: the day mode, "good morning".
TUESDAY_10 = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Moscow"))


class HeldMusic:
    """A queue's looping music: the callers it is sent to."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.heard_by: set[FakeAudio] = set()

    def to(self, audio: FakeAudio) -> None:
        self.heard_by.add(audio)

    def away_from(self, audio: FakeAudio) -> None:
        self.heard_by.discard(audio)


class WavRecorder:
    """A message's file, opened as pjsua's recorder opens it: a WAV the caller is sent to."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with wave.open(str(path), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(8000)


class InboundOffice:
    """``online``: the extensions registered now (a test may change it)."""

    def __init__(self, config: Config, home: Path, *, online: set[str] | None = None) -> None:
        self.config = config
        self.office = Office()
        self.online = online if online is not None else {e.number for e in config.extensions}
        self.notified: list[tuple[str, str]] = []  # message-waiting: (phone, summary)
        self.music: dict[Path, HeldMusic] = {}
        self.abandoned: list[tuple[Call, str]] = []
        self.lines, self.outside = outside(
            config, self.office, abandon=lambda call, why: self.abandoned.append((call, why))
        )
        self.voicemail = Voicemail(
            mailboxes=Mailboxes(self.office.store, home / "voicemail"),
            loop=self.office.loop,
            config=lambda: config,
            notify=lambda phone, summary: self.notified.append((phone, summary)),
            recorder=WavRecorder,
        )
        phone = extension_phone(config)
        self.queues = Queues(
            loop=self.office.loop,
            store=self.office.store,
            music_path=home / "music.wav",
            department=config.department,
            member_free=lambda department, member: self.inbound.member_free(
                department.number, member
            ),
            member_destination=lambda member, caller, ring: replace(
                phone(member, caller), ring_timeout=ring
            ),
            call_back=self._call_back,
            player=self._music,
        )
        self.icm_lookup = IcmLookup(config.icm)
        self.inbound = Inbound(
            config=lambda: config,
            store=self.office.store,
            calls=lambda: self.office.calls,
            online=lambda: self.online,
            extension=phone,
            outside=self.outside,
            queues=self.queues,
            voicemail=self.voicemail,
            icm_lookup=lambda: self.icm_lookup,
            box_call=self.office.box_call,
            abandon=lambda call, why: self.abandoned.append((call, why)),
            clock=lambda: TUESDAY_10,
        )

    def _call_back(self, department: Department, member: str, ident: int, number: str) -> bool:
        # Queues are made before Inbound, which they need only at run time (as the engine's).
        return self.inbound.call_back(department, member, ident, number)

    def _music(self, path: Path) -> HeldMusic:
        return self.music.setdefault(path, HeldMusic(path))

    def arrives(self, caller: str, scenario: str) -> tuple[Call, FakeLeg, ScenarioRun]:
        """A call from ``caller`` on the office's number, walking ``scenario`` by day."""
        call, leg = self.office.call(caller, "+74951110000")
        run = ScenarioRun(self.inbound, call, scenario=scenario, mode="day", number=call.dialed)
        call.start(run.next())
        return call, leg, run

    def close(self) -> None:
        self.inbound.contact_manager.close()
        self.voicemail.close()
        self.icm_lookup.close()
