"""Voicemail on the engine side: leaving a message, and telling the mailbox's phones about it.

A message is recorded by pjsua2 straight to a WAV file; the store indexes it,
the mailbox's phones get a message-waiting NOTIFY through Kamailio, and the
message goes by email from a worker thread so a slow mail relay never holds up
a call.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pjsua2 as pj

from firmware.config import Config
from firmware.engine.call import Call, Event
from firmware.engine.loop import EngineLoop
from firmware.engine.states import PLAYOUT, Ended, State
from firmware.routing.outcome import Disposition, Party
from firmware.routing.toneplans import Tone
from firmware.store.cdr import CallEnd
from firmware.store.mailer import MailError, send_voicemail_email
from firmware.store.voicemail import Mailboxes, Message, message_summary

log = logging.getLogger(__name__)

#: The beep after the greeting, in seconds.
BEEP = 0.5
#: A message shorter than this is a caller who hung up at the beep: not kept.
MIN_MESSAGE = 1.0
MAIL_TIMEOUT = 20.0


class Voicemail:
    """Mailboxes as the engine uses them: record, store, notify, email."""

    def __init__(
        self,
        *,
        mailboxes: Mailboxes,
        loop: EngineLoop,
        config: Callable[[], Config],
        notify: Callable[[str, str], None],
    ) -> None:
        self.mailboxes = mailboxes
        self._loop = loop
        self._config = config
        self._notify = notify
        self._mail = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mail")

    def greeting(self, mailbox: str) -> list[str | Path]:
        """The mailbox's own recorded greeting, else the standard one."""
        own = self.mailboxes.greeting_path(mailbox)
        return [own] if own.exists() else ["voicemail_greeting"]

    def leave(self, call: Call, mailbox: str, then: Callable[[], State]) -> State:
        return LeavingMessage(self, mailbox)

    def stored(self, call: Call, mailbox: str, path: Path, seconds: float) -> None:
        message_id = self.mailboxes.add(
            mailbox,
            caller=call.caller,
            caller_name=None,
            seconds=round(seconds, 1),
            path=path,
            call_record=call.record,
        )
        log.info("call %s: %.1f s message for mailbox %s", call.record, seconds, mailbox)
        self.tell_phones(mailbox)
        message = self.mailboxes.message(message_id)
        to = Mailboxes.mailbox_email(self._config(), mailbox)
        if message is not None and to:
            self._mail.submit(self._email, message, to)

    def tell_phones(self, mailbox: str) -> None:
        """Message waiting: the mailbox's own phone, or a department's members."""
        config = self._config()
        department = config.department(mailbox)
        phones = department.members if department else [mailbox]
        new, old = self.mailboxes.counts(mailbox)
        account = f"sip:{mailbox}@{config.system.sip_domain}"
        for phone in phones:
            self._notify(phone, message_summary(new, old, account))

    def _email(self, message: Message, to: list[str]) -> None:
        config = self._config()
        try:
            send_voicemail_email(
                config.voicemail,
                to,
                message,
                box_name=config.system.name,
                timeout=MAIL_TIMEOUT,
                language=config.system.language,
                timezone=config.system.timezone,
            )
            error = None
        except MailError as exc:
            log.error("voicemail %s not emailed: %s", message.id, exc)
            error = str(exc)
        self._loop.post(lambda: self.mailboxes.record_email(message.id, error))

    def close(self) -> None:
        self._mail.shutdown(wait=False, cancel_futures=True)


class LeavingMessage(State):
    """Greeting, beep, then the caller's words until they hang up, press #, or time is up."""

    name = "voicemail"
    expects = frozenset({Event.A_ENDED, Event.PLAYED_OUT, Event.PROMPT_DONE, Event.TONE_TIMEOUT})

    def __init__(self, voicemail: Voicemail, mailbox: str) -> None:
        self.voicemail = voicemail
        self.mailbox = mailbox
        self.recorder: pj.AudioMediaRecorder | None = None
        self.path: Path | None = None
        self.started = 0.0
        self.phase = "greeting"

    def enter(self, call: Call) -> None:
        call.answer_caller()
        call.announce(self.voicemail.greeting(self.mailbox))

    def handle(self, call: Call, event: Event) -> State | None:
        if event is Event.A_MEDIA and self.phase == "greeting":
            call.announce(self.voicemail.greeting(self.mailbox))
        elif event is Event.PROMPT_DONE and self.phase == "greeting":
            self.phase = "beep"
            call.play(Tone.BEEP)
            call.set_timer(BEEP, Event.TONE_TIMEOUT)
        elif event is Event.TONE_TIMEOUT and self.phase == "beep":
            call.quiet()
            self._record(call)
        elif self.phase == "recording" and (
            event is Event.TONE_TIMEOUT or (event is Event.DTMF and call.digits.endswith("#"))
        ):
            self._stop(call)
            return self._goodbye(call)
        elif event is Event.PROMPT_DONE and self.phase == "goodbye":
            call.set_timer(PLAYOUT, Event.PLAYED_OUT)
        elif event is Event.PLAYED_OUT:
            call.a_leg.end()
        elif event is Event.A_ENDED:
            self._stop(call)
            if call.end is None:
                call.finish(self._end())
            return Ended()
        return None

    def _record(self, call: Call) -> None:
        audio = call.a_leg.audio
        if audio is None:
            return
        self.path = self.voicemail.mailboxes.new_message_path(self.mailbox)
        self.recorder = pj.AudioMediaRecorder()
        self.recorder.createRecorder(str(self.path))
        audio.startTransmit(self.recorder)
        self.started = time.monotonic()
        self.phase = "recording"
        call.digits = ""
        call.set_timer(self.voicemail._config().voicemail.max_seconds, Event.TONE_TIMEOUT)

    def _stop(self, call: Call) -> None:
        if self.recorder is None or self.path is None:
            return
        seconds = time.monotonic() - self.started
        self.recorder = None  # closes the file
        if seconds < MIN_MESSAGE:
            self.path.unlink(missing_ok=True)
        else:
            self.voicemail.stored(call, self.mailbox, self.path, seconds)
        self.path = None

    def _goodbye(self, call: Call) -> State | None:
        self.phase = "goodbye"
        call.cancel_timer()
        call.finish(self._end())
        call.announce(["goodbye"])
        return None

    def _end(self) -> CallEnd:
        return CallEnd(Disposition.NO_ANSWER, Party.CALLER, 200, f"voicemail {self.mailbox}")
