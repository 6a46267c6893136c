"""The states of a scenario's own steps: a greeting, a menu, the box hanging up."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from firmware.config.inbound import Menu
from firmware.config.target import Target
from firmware.engine.call import Call, Event
from firmware.engine.states import Ended, State
from firmware.routing.outcome import Disposition, Party
from firmware.routing.scenarios import (
    INTER_DIGIT,
    Invalid,
    Wait,
    menu_choice,
)
from firmware.store.cdr import CallEnd

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from firmware.engine.features.scenarios.service import ScenarioRun


class Greeting(State):
    """Answers and plays a prompt; then the next step."""

    name = "greeting"
    expects = frozenset({Event.A_ENDED, Event.PROMPT_DONE})

    def __init__(self, prompt: str, run: ScenarioRun) -> None:
        self.prompt = prompt
        self.run = run

    def enter(self, call: Call) -> None:
        call.digits = ""  # keys pressed from here on are typed ahead into a menu
        call.answer_caller()
        call.announce([self.prompt])

    def handle(self, call: Call, event: Event) -> State | None:
        if event is Event.A_MEDIA:
            call.announce([self.prompt])
        elif event is Event.PROMPT_DONE:
            return self.run.next()
        elif event is Event.A_ENDED:
            return _caller_left(call)
        return None


class MenuStep(State):
    """A prompt, keys to destinations, direct dialing of extensions, a timeout, invalid tries."""

    name = "menu"
    expects = frozenset({Event.A_ENDED, Event.PROMPT_DONE, Event.TONE_TIMEOUT})

    def __init__(self, menu: Menu, run: ScenarioRun) -> None:
        self.menu = menu
        self.run = run
        self.invalid = 0

    def enter(self, call: Call) -> None:
        call.answer_caller()
        if call.digits:  # typed ahead during a greeting: a caller who knows the way
            call.ctx.loop.post(lambda: call.dispatch(Event.DTMF))
        else:
            call.announce([self.menu.prompt])

    def handle(self, call: Call, event: Event) -> State | None:
        if event is Event.A_MEDIA:
            call.announce([self.menu.prompt])
        elif event is Event.PROMPT_DONE:
            call.set_timer(self.menu.timeout, Event.TONE_TIMEOUT)
        elif event is Event.DTMF:
            call.quiet()
            return self._choose(call, complete=False)
        elif event is Event.TONE_TIMEOUT:
            if call.digits:
                return self._choose(call, complete=True)
            if self.menu.default:
                call.cancel_timer()
                self.run.chose(None)
                return self.run.goto(self.menu.default)
            self.run.chose(None)
            return self.run.next()
        elif event is Event.A_ENDED:
            return _caller_left(call)
        return None

    def _choose(self, call: Call, *, complete: bool) -> State | None:
        choice = menu_choice(self.run.services.config, self.menu, call.digits, complete=complete)
        if isinstance(choice, Wait):
            call.set_timer(INTER_DIGIT, Event.TONE_TIMEOUT)
            return None
        if isinstance(choice, Invalid):
            self.invalid += 1
            call.digits = ""
            if self.invalid >= self.menu.max_invalid:
                self.run.chose(None, invalid=True)
                return self.run.next()
            call.announce(["invalid_option", self.menu.prompt])
            return None
        return self._go(call, choice, call.digits)

    def _go(self, call: Call, target: Target, key: str) -> State:
        call.cancel_timer()
        call.digits = ""
        self.run.chose(key)
        return self.run.goto(target)


class Hangup(State):
    """The scenario is over: the box ends the call."""

    name = "hangup"
    expects = frozenset({Event.A_ENDED})

    def __init__(self, why: str, run: ScenarioRun) -> None:
        self.why = why
        self.run = run

    def enter(self, call: Call) -> None:
        call.quiet()
        call.cancel_timer()
        if self.run.outcome == "no_talk":
            self.run.outcome = "hangup" if "hangup" in self.why else "no_talk"
        call.a_leg.end(480, "No Answer")
        call.finish(CallEnd(_no_answer(self.run), Party.SYSTEM, 480, self.why))

    def handle(self, call: Call, event: Event) -> State | None:
        return Ended() if event is Event.A_ENDED else None


def _no_answer(run: ScenarioRun) -> Disposition:
    return Disposition.ANSWERED if run.answered_at else Disposition.NO_ANSWER


def _caller_left(call: Call) -> State:
    call.finish(CallEnd(Disposition.CANCELLED, Party.CALLER, 487, "caller hung up in scenario"))
    return Ended()
