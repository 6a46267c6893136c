"""Voicemail: messages recorded into mailboxes, indexed, lamps lit and mailed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pjsua2 as pj

from firmware.config import Config
from firmware.engine.call import Call
from firmware.engine.features.voicemail.states import LeavingMessage
from firmware.engine.loop import EngineLoop
from firmware.engine.media import record_to
from firmware.engine.states import State
from firmware.store.mailer import MailError, send_voicemail_email
from firmware.store.voicemail import Mailboxes, Message, message_summary

log = logging.getLogger(__name__)

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
        recorder: Callable[[Path], pj.AudioMediaRecorder] = record_to,
    ) -> None:
        """``recorder``: opens a message's or a greeting's file to record into (tests give
        one that needs no sound device)."""
        self.mailboxes = mailboxes
        self.recorder = recorder
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
