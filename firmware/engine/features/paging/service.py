"""The paging feature's service: each phone of a group is called with the auto-answer
headers phones honour, hears the announcement once, and is let go.

A page is no call anybody places, so it has no call record; a phone that does
not answer it (busy, away, no auto-answer) is simply not paged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import pjsua2 as pj

from firmware.engine.call import IGNORE, PromptPlay, Stoppable
from firmware.engine.leg import Leg, LegListener, LegState, Refer
from firmware.engine.loop import EngineLoop, Timer
from firmware.engine.states import PLAYOUT

log = logging.getLogger(__name__)

#: What phones take as "answer at once, speaker on": RFC 5373's Call-Info parameter and the
#: Alert-Info that Yealink, Grandstream and Cisco phones look for.
AUTO_ANSWER = {
    "Call-Info": "<sip:pbx>;answer-after=0",
    "Alert-Info": "<http://127.0.0.1/>;info=alert-autoanswer",
}
#: Seconds a paged phone may take to answer before it is left out.
ANSWER_WITHIN = 5.0


class Paging:
    def __init__(
        self,
        *,
        loop: EngineLoop,
        account: Callable[[], pj.Account | None],
        new_leg: Callable[[pj.Account, LegListener], Leg],
        play_prompts: PromptPlay,
        domain: Callable[[], str],
    ) -> None:
        self._loop = loop
        self._account = account
        self._new_leg = new_leg
        self._play_prompts = play_prompts
        self._domain = domain
        self.pages: set[_Page] = set()

    def page(self, extensions: Sequence[str], prompts: list[str | Path]) -> None:
        """Announces ``prompts`` on each of ``extensions``' phones."""
        account = self._account()
        if account is None:
            return
        for number in extensions:
            page = _Page(
                prompts, loop=self._loop, play_prompts=self._play_prompts, over=self.pages.discard
            )
            leg = self._new_leg(account, page)
            try:
                leg.dial(
                    f"sip:{number}@{self._domain()}",
                    from_uri=f"<sip:page@{self._domain()}>",
                    headers=AUTO_ANSWER,
                )
            except pj.Error as exc:
                log.warning("page to %s not placed: %s", number, exc.info())
                continue
            page.waits_for(leg)
            self.pages.add(page)

    def end(self) -> None:
        """The engine stops: every page under way ends."""
        for page in list(self.pages):
            page.leg.end()


class _Page:
    """One paged phone: the announcement once its audio is up, then it is let go."""

    def __init__(
        self,
        prompts: list[str | Path],
        *,
        loop: EngineLoop,
        play_prompts: PromptPlay,
        over: Callable[[_Page], None],
    ) -> None:
        self._prompts = prompts
        self._loop = loop
        self._play_prompts = play_prompts
        self._over = over
        self._unanswered: Timer | None = None
        self._playing: Stoppable | None = None

    def waits_for(self, leg: Leg) -> None:
        """The phone has ``ANSWER_WITHIN`` to answer before it is left out."""
        self.leg = leg
        self._unanswered = self._loop.call_later(ANSWER_WITHIN, leg.end)

    def on_leg_state(self, leg: Leg) -> None:
        if leg.state is LegState.CONFIRMED and self._unanswered is not None:
            self._unanswered.cancel()
        elif leg.state is LegState.DISCONNECTED:
            if self._playing is not None:
                self._playing.stop()
            leg.listener = IGNORE
            self._over(self)

    def on_leg_media(self, leg: Leg) -> None:
        if self._playing is None and leg.audio is not None:

            def heard() -> None:
                self._loop.call_later(PLAYOUT, leg.end)

            self._playing = self._play_prompts(self._prompts, leg.audio, heard)

    def on_leg_dtmf(self, leg: Leg, digit: str) -> None:
        """Keys on a paged phone mean nothing."""

    def on_leg_hold(self, leg: Leg) -> None:
        """Nor does its hold key."""

    def on_leg_transfer(self, leg: Leg, refer: Refer) -> Leg | None:
        return None
