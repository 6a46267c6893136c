"""The engine thread: the only thread that touches pjsua2.

pjsua2 runs with ``threadCnt=0`` and ``mainThreadOnly``: nothing happens in it
unless this thread pumps ``libHandleEvents``. Other threads (control socket,
signal handlers, drivers) never call pjsua2; they ``post`` work here and may
wait on the returned future. Timers run here too, so call flows need no locks.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import queue
import time
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import AbstractContextManager
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class Timer:
    """A pending call on the engine thread; ``cancel`` is safe to call twice."""

    __slots__ = ("_fn", "cancelled", "due")

    def __init__(self, due: float, fn: Callable[[], None]) -> None:
        self.due = due
        self._fn = fn
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def fire(self) -> None:
        if not self.cancelled:
            self.cancelled = True
            self._fn()


class EngineLoop:
    def __init__(
        self,
        pump: Callable[[int], None],
        *,
        poll_ms: int = 10,
        turn: Callable[[], AbstractContextManager[None]] = contextlib.nullcontext,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``turn`` wraps each pass of the loop: the engine makes it a store transaction,
        so everything the events of one pass write is committed together. ``clock`` is
        what timers count on (tests give one they move)."""
        self.now = clock
        self._pump = pump
        self._poll_ms = poll_ms
        self._turn = turn
        self._inbox: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        self._timers: list[tuple[float, int, Timer]] = []
        self._seq = itertools.count()
        self._running = False

    def post(self, fn: Callable[[], T]) -> Future[T]:
        """Runs ``fn`` on the engine thread soon; safe from any thread."""
        future: Future[T] = Future()
        self._inbox.put((fn, future))
        return future

    def call_later(self, delay: float, fn: Callable[[], None]) -> Timer:
        """Engine thread only: runs ``fn`` after ``delay`` seconds unless cancelled."""
        timer = Timer(self.now() + delay, fn)
        heapq.heappush(self._timers, (timer.due, next(self._seq), timer))
        return timer

    def stop(self) -> None:
        self.post(self._halt)

    def _halt(self) -> None:
        self._running = False

    def run(self) -> None:
        self._running = True
        while self._running:
            self.run_once()

    def run_once(self) -> None:
        with self._turn():
            self._pump(self._poll_ms)
            self._run_inbox()
            self._run_timers()

    def _run_inbox(self) -> None:
        while True:
            try:
                fn, future = self._inbox.get_nowait()
            except queue.Empty:
                return
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn())
            except Exception as exc:
                log.exception("posted work failed")
                future.set_exception(exc)

    def _run_timers(self) -> None:
        now = self.now()
        while self._timers and self._timers[0][0] <= now:
            _, _, timer = heapq.heappop(self._timers)
            try:
                timer.fire()
            except Exception:
                log.exception("timer failed")
