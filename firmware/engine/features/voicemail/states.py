"""The voicemail feature's states: leaving a message, and a mailbox over the phone."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import pjsua2 as pj

from firmware.config import Config
from firmware.engine.call import Call, Event
from firmware.engine.states import PLAYOUT, Ended, State
from firmware.routing.outcome import Disposition, Party
from firmware.routing.toneplans import Tone
from firmware.store.cdr import CallEnd
from firmware.store.voicemail import Mailboxes, Message

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from firmware.engine.features.voicemail.service import Voicemail


#: The beep after the greeting, in seconds.
BEEP = 0.5


#: A message shorter than this is a caller who hung up at the beep: not kept.
MIN_MESSAGE = 1.0


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
        self.recorder = self.voicemail.recorder(self.path)
        audio.startTransmit(self.recorder)
        self.started = call.ctx.loop.now()
        self.phase = "recording"
        call.digits = ""
        call.set_timer(self.voicemail._config().voicemail.max_seconds, Event.TONE_TIMEOUT)

    def _stop(self, call: Call) -> None:
        if self.recorder is None or self.path is None:
            return
        seconds = call.ctx.loop.now() - self.started
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


PIN_TRIES = 3
PIN_WAIT = 10.0
MENU_WAIT = 20.0
MAX_GREETING = 60.0


class MailboxAccess(State):
    name = "mailbox"
    expects = frozenset({Event.A_ENDED, Event.PLAYED_OUT, Event.PROMPT_DONE, Event.TONE_TIMEOUT})

    def __init__(self, voicemail: Voicemail, mailbox: str, config: Config) -> None:
        self.voicemail = voicemail
        self.mailbox = mailbox
        self.config = config
        self.phase = "pin"
        self.tries = 0
        self.messages: list[Message] = []
        self.current: Message | None = None
        self.recorder: pj.AudioMediaRecorder | None = None
        self.started = 0.0

    @property
    def boxes(self) -> Mailboxes:
        return self.voicemail.mailboxes

    def enter(self, call: Call) -> None:
        call.answer_caller()
        self._ask_pin(call)

    def _ask_pin(self, call: Call) -> None:
        self.phase = "pin"
        call.digits = ""
        call.announce(["voicemail_enter_pin"])
        call.set_timer(PIN_WAIT, Event.TONE_TIMEOUT)

    def _summary(self, call: Call) -> None:
        self.phase = "menu"
        self.messages = self.boxes.messages(self.mailbox)
        new, _ = self.boxes.counts(self.mailbox)
        if not self.messages:
            prompts = ["voicemail_no_messages"]
        elif new:
            prompts = ["voicemail_you_have", f"num_{min(new, 20)}", "voicemail_new_messages"]
        else:
            prompts = []
        call.announce([*prompts, "voicemail_menu"])
        call.set_timer(MENU_WAIT, Event.TONE_TIMEOUT)

    def _menu(self, call: Call) -> None:
        self.phase = "menu"
        call.digits = ""
        call.announce(["voicemail_menu"])
        call.set_timer(MENU_WAIT, Event.TONE_TIMEOUT)

    def handle(self, call: Call, event: Event) -> State | None:
        if event is Event.A_MEDIA and self.phase == "pin":
            call.announce(["voicemail_enter_pin"])
        elif event is Event.DTMF:
            return self._key(call)
        elif event is Event.PROMPT_DONE:
            return self._prompt_done(call)
        elif event is Event.TONE_TIMEOUT:
            if self.phase == "beep":
                call.quiet()
                self._record_greeting(call)
            elif self.phase == "greeting":
                self._save_greeting(call)
            else:
                return self._goodbye(call)
        elif event is Event.PLAYED_OUT:
            call.a_leg.end()
        elif event is Event.A_ENDED:
            self._save_greeting(call)
            self._finish(call)
            return Ended()
        return None

    def _key(self, call: Call) -> State | None:
        digits = call.digits
        if self.phase == "pin":
            if digits.endswith("#") or len(digits) >= 8:
                call.cancel_timer()
                if Mailboxes.check_pin(self.config, self.mailbox, digits.rstrip("#")):
                    self._summary(call)
                    return None
                self.tries += 1
                if self.tries >= PIN_TRIES:
                    return self._goodbye(call, ["voicemail_wrong_pin"])
                call.digits = ""
                call.announce(["voicemail_wrong_pin", "voicemail_enter_pin"])
                call.set_timer(PIN_WAIT, Event.TONE_TIMEOUT)
            return None
        if self.phase == "greeting" and digits.endswith("#"):
            self._save_greeting(call)
            return None
        if self.phase not in ("menu", "playing"):
            return None
        key = digits[-1]
        call.digits = ""
        call.quiet()
        call.cancel_timer()
        if key in "19":
            self._play_next(call)
        elif key == "7" and self.current is not None:
            self.boxes.delete(self.current.id)
            self.voicemail.tell_phones(self.mailbox)
            self.current = None
            self.phase = "menu"
            call.announce(["voicemail_deleted", "voicemail_menu"])
        elif key == "0":
            self.phase = "beep"
            call.play(Tone.BEEP)
            call.set_timer(BEEP, Event.TONE_TIMEOUT)
        elif key == "#":
            return self._goodbye(call)
        else:
            self._menu(call)
        return None

    def _play_next(self, call: Call) -> None:
        remaining = [m for m in self.messages if self.current is None or m.id != self.current.id]
        if self.current is not None:
            index = next((i for i, m in enumerate(self.messages) if m.id == self.current.id), -1)
            remaining = self.messages[index + 1 :]
        if not remaining:
            self.current = None
            self.phase = "menu"
            call.announce(["voicemail_no_messages", "voicemail_menu"])
            return
        self.current = remaining[0]
        self.phase = "playing"
        call.announce([self.current.path])

    def _prompt_done(self, call: Call) -> State | None:
        if self.phase == "playing" and self.current is not None:
            self.boxes.mark_heard(self.current.id)
            self.voicemail.tell_phones(self.mailbox)
            self._menu(call)
        elif self.phase == "goodbye":
            call.set_timer(PLAYOUT, Event.PLAYED_OUT)
        return None

    def _record_greeting(self, call: Call) -> None:
        audio = call.a_leg.audio
        if audio is None:
            return
        path = self.boxes.greeting_path(self.mailbox)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.recorder = self.voicemail.recorder(path.with_suffix(".new.wav"))
        audio.startTransmit(self.recorder)
        self.started = call.ctx.loop.now()
        self.phase = "greeting"
        call.digits = ""
        call.set_timer(MAX_GREETING, Event.TONE_TIMEOUT)

    def _save_greeting(self, call: Call) -> None:
        if self.recorder is None:
            return
        self.recorder = None  # closes the file
        path = self.boxes.greeting_path(self.mailbox)
        fresh = path.with_suffix(".new.wav")
        if call.ctx.loop.now() - self.started >= 1.0:
            fresh.replace(path)
            log.info("mailbox %s has a new greeting", self.mailbox)
        else:
            fresh.unlink(missing_ok=True)
        if call.a_leg.audio is not None:
            self._menu(call)

    def _goodbye(self, call: Call, before: list[str] | None = None) -> State | None:
        self.phase = "goodbye"
        call.cancel_timer()
        call.announce([*(before or []), "goodbye"])
        return None

    def _finish(self, call: Call) -> None:
        call.finish(CallEnd(Disposition.ANSWERED, Party.CALLER, 200, f"mailbox {self.mailbox}"))
