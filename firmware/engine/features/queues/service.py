"""Department queues: callers wait with music, hear their place, may ask to be called back.

Whenever a member is free (registered, not on a call, not on do-not-disturb,
past the wrap-up time of their last call) the caller who has waited longest is
offered to the member who has been idle longest. While the member's phone
rings, the caller keeps hearing the music; if the member does not answer, the
caller keeps their place and the next free member is tried. The bookkeeping
(order, places, waits, wrap-up, service level) is ``firmware.routing.queue``'s.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from firmware.config.inbound import Department, QueueSettings
from firmware.engine.call import Call, Destination, Event, RingPlan
from firmware.engine.features.queues.states import Waiting
from firmware.engine.loop import EngineLoop, Timer
from firmware.engine.media import Music
from firmware.engine.states import Dialing, State
from firmware.routing.queue import Full, QueueState, ServiceLevel, longest_idle
from firmware.store.cdr import now

if TYPE_CHECKING:
    from firmware.engine.features.scenarios.service import ScenarioRun

log = logging.getLogger(__name__)

#: Seconds between looks for a free member while callers wait or callbacks are pending.
TICK = 1.0


@dataclass
class Waiter:
    """A queued call as the engine needs it: the queue itself is routing's ``QueueState``."""

    call: Call
    run: ScenarioRun
    department: Department
    tried: set[str] = field(default_factory=set)
    offered_to: str | None = None

    @property
    def key(self) -> str:
        """The caller's id in the queue: the call record, since two callers may share a number."""
        return str(self.call.record)


class Queues:
    """Every department's queue; the engine tells it when members come and go.

    Who waits in which order, places, the full check, over-time callers, wrap-up
    and who answers next are decided by ``firmware.routing.queue``; this class
    maps each queue entry to its call and runs the legs, timers and music.
    """

    def __init__(
        self,
        *,
        loop: EngineLoop,
        store: sqlite3.Connection,
        music_path: Path,
        department: Callable[[str], Department | None],
        member_free: Callable[[Department, str], bool],
        member_destination: Callable[[str, str, float], Destination],
        call_back: Callable[[Department, str, int, str], bool],
        player: Callable[[Path], Music] = Music,
    ) -> None:
        """``player``: the music a queue's callers hear, a looping player of ``music_path``
        (tests give one that needs no sound device)."""
        self._loop = loop
        self._store = store
        self._music_path = music_path
        self._player = player
        self._department = department
        self._member_free = member_free
        self._member_destination = member_destination
        self._call_back = call_back
        #: Members ringing for a callback right now, so nobody offers them a caller.
        self.calling_back: set[str] = set()
        #: Each department's queue, and the settings of the last caller who joined it.
        self.lines: dict[str, QueueState] = {}
        self._settings: dict[str, QueueSettings] = {}
        #: Queue entries (``Waiter.key``) to their calls.
        self._waiters: dict[str, Waiter] = {}
        self._music: dict[str, Music] = {}
        #: When each member's last call ended, on the loop's clock: wrap-up and idle time.
        self.last_call_end: dict[str, float] = {}
        #: Since the engine started: offered, answered, answered within the service level.
        self.service: dict[str, ServiceLevel] = {}
        self._ticking: Timer | None = None

    def now(self) -> float:
        """The clock waits and wrap-up count on: the engine loop's (monotonic), which tests
        move."""
        return self._loop.now()

    # Callers.
    def join(self, call: Call, department: Department, run: ScenarioRun) -> State:
        settings = department.queue
        line = self.lines.setdefault(department.number, QueueState(settings.max_length))
        line.max_length = settings.max_length
        self._settings[department.number] = settings
        waiter = Waiter(call, run, department)
        place = line.join(waiter.key, self.now())
        if isinstance(place, Full):
            log.info("call %s: queue %s is full", call.record, department.number)
            return run.overflow(settings.overflow)
        self._waiters[waiter.key] = waiter
        # However the call ends (in the queue or while a member's phone rings), it leaves.
        call.on_finish.append(lambda end: self.leave(waiter))
        self.service.setdefault(department.number, ServiceLevel()).record_offer()
        log.info("call %s: waits in queue %s at %d", call.record, department.number, place)
        self._loop.post(self.dispatch)
        self._keep_ticking()
        return Waiting(waiter, self, first=True)

    def _keep_ticking(self) -> None:
        """Looks again every second while anyone waits: a phone that registers, or a member
        who comes back from do-not-disturb, makes no event of its own."""
        if self._ticking is None or self._ticking.cancelled:
            self._ticking = self._loop.call_later(TICK, self._tick)

    def _tick(self) -> None:
        self.move_over_time()
        self.dispatch()
        waiting = any(line.callers for line in self.lines.values())
        pending = self._store.execute(
            "SELECT 1 FROM callbacks WHERE done_at IS NULL LIMIT 1"
        ).fetchone()
        if waiting or pending:
            self._ticking = self._loop.call_later(TICK, self._tick)

    def leave(self, waiter: Waiter) -> None:
        number = waiter.department.number
        line = self.lines.get(number)
        if line is not None:
            line.leave(waiter.key)
        self._waiters.pop(waiter.key, None)
        if not (line and line.callers) and number in self._music:
            del self._music[number]

    def status(self) -> list[dict[str, object]]:
        """Each queue now: who waits, and the service level so far."""
        numbers = sorted(set(self.lines) | set(self.service))
        return [
            {
                "department": number,
                "waiting": len(self.lines[number].callers) if number in self.lines else 0,
                "offered": self.service.get(number, ServiceLevel()).offered,
                "answered": self.service.get(number, ServiceLevel()).answered,
                "service_level_percent": self.service.get(number, ServiceLevel()).percent,
            }
            for number in numbers
        ]

    def _waiting(self, number: str) -> list[Waiter]:
        """The department's queued calls, first come first."""
        line = self.lines.get(number)
        return [self._waiters[w.caller_id] for w in line.callers] if line else []

    def position(self, waiter: Waiter) -> int | None:
        """The place the caller hears; None once they have left the queue."""
        line = self.lines.get(waiter.department.number)
        return line.position(waiter.key) if line else None

    def until_over_time(self, waiter: Waiter) -> float | None:
        line = self.lines.get(waiter.department.number)
        if line is None:
            return None
        return line.over_time_in(waiter.key, self.now(), waiter.department.queue.max_wait)

    def move_over_time(self) -> None:
        """Callers who have waited ``max_wait`` go to the overflow, unless a phone rings for them
        (then when it stops)."""
        now = self.now()
        for number, line in self.lines.items():
            for key in line.over_time(now, self._settings[number].max_wait):
                waiter = self._waiters.get(key)
                if waiter is not None and waiter.offered_to is None:
                    waiter.call.dispatch(Event.MAX_WAIT)

    def music(self, department: str) -> Music:
        if department not in self._music:
            self._music[department] = self._player(self._music_path)
        return self._music[department]

    # Members.
    def member_done(self, extension: str, wrap_up: float) -> None:
        """A member's call ended: idle from now, free again after the wrap-up time."""
        self.last_call_end[extension] = self.now()
        self._loop.call_later(wrap_up + 0.05, self.dispatch)
        self._loop.post(self.dispatch)

    def free_members(self, department: Department, also_busy: set[str]) -> list[str]:
        return [
            m
            for m in department.members
            if m not in also_busy
            and m not in self.calling_back
            and self._member_free(department, m)
        ]

    def dispatch(self) -> None:
        """Offers the longest waiting callers to the longest idle free members, then callbacks."""
        for number in list(self.lines):
            line = self._waiting(number)
            ringing = {w.offered_to for w in line if w.offered_to}
            for waiter in line:
                if waiter.offered_to is not None or waiter.key not in self._waiters:
                    continue
                free = [
                    m
                    for m in self.free_members(waiter.department, ringing)
                    if m not in waiter.tried
                ]
                member = longest_idle(free, self.last_call_end)
                if member is None:
                    waiter.tried.clear()
                    break
                waiter.offered_to = member
                ringing.add(member)
                waiter.call.dispatch(Event.OFFER)
        self._callbacks()

    def _callbacks(self) -> None:
        """Callers who asked to be called back, oldest first, once nobody waits on the line."""
        rows = self._store.execute(
            "SELECT id, department, number FROM callbacks WHERE done_at IS NULL ORDER BY id"
        ).fetchall()
        for row in rows:
            line = self._waiting(row["department"])
            department = next((w.department for w in line), None) or self._department(
                row["department"]
            )
            if department is None or any(w.offered_to is None for w in line):
                continue
            ringing = {w.offered_to for w in line if w.offered_to}
            member = longest_idle(self.free_members(department, ringing), self.last_call_end)
            if member is not None and self._call_back(department, member, row["id"], row["number"]):
                self.calling_back.add(member)

    def callback_done(self, callback_id: int, member: str, outcome: str) -> None:
        self.calling_back.discard(member)
        if outcome == "answered":
            self._store.execute(
                "UPDATE callbacks SET done_at = ?, outcome = ? WHERE id = ?",
                (now().isoformat(), outcome, callback_id),
            )
        self._loop.post(self.dispatch)

    def offer(self, waiter: Waiter) -> State:
        member = waiter.offered_to or ""
        waiter.tried.add(member)
        waiter.call.on_answer.append(lambda leg: self.taken(waiter))
        destination = self._member_destination(member, waiter.call.caller, waiter.department.step)
        return Dialing(
            RingPlan.single(destination),
            lambda call, refusal: self._not_taken(waiter),
            ringback=False,
        )

    def _not_taken(self, waiter: Waiter) -> State:
        waiter.offered_to = None
        self._loop.post(self.dispatch)
        return Waiting(waiter, self, first=False)

    def taken(self, waiter: Waiter) -> None:
        number = waiter.department.number
        if waiter.call.a_leg.audio is not None and number in self._music:
            self._music[number].away_from(waiter.call.a_leg.audio)
        line = self.lines.get(number)
        waited = (line.waited(waiter.key, self.now()) if line else None) or 0.0
        self.service.setdefault(number, ServiceLevel()).record_answer(
            waited, waiter.department.queue.service_level
        )
        log.info(
            "call %s: queue %s answered by %s after %.1f s",
            waiter.call.record,
            number,
            waiter.offered_to,
            waited,
        )
        self.leave(waiter)

    def request_callback(self, waiter: Waiter) -> None:
        self._store.execute(
            "INSERT INTO callbacks (department, number, requested_at, call_record) "
            "VALUES (?, ?, ?, ?)",
            (waiter.department.number, waiter.call.caller, now().isoformat(), waiter.call.record),
        )
        self.leave(waiter)
        self._loop.post(self.dispatch)
        self._keep_ticking()
