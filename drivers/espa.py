"""ESPA 4.4.4 text messages to DECT handsets and pagers: the box is the control station.

For each message the box takes the line and selects the paging system (``EOT 2
ENQ``); it answers ACK when ready, NAK when busy. Then the block goes out and is
answered ACK (taken) or NAK (bad block check: sent again), and EOT ends the
transaction. A select or a block that gets no answer within ``answer_timeout`` is
sent again, ``retries`` times; after that the link counts as down and the message
stays first in the queue. When there is nothing to send the box selects the paging
system every ``poll_interval`` and ends at once, to know the link is alive.
Messages wait in memory: they are about now (a door ringing), not worth a restart.
A lost port (unplugged adapter, a pty whose other end closed) is reopened every
``reconnect`` seconds. The dialogue runs in its own thread: senders never wait.
"""

from __future__ import annotations

import collections
import enum
import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from drivers.espa_frame import ACK, EOT, NAK, PagerCall, call_block, select
from drivers.serial_line import LineGoneError, SerialLine
from firmware.config.espa import Espa as EspaSettings

log = logging.getLogger(__name__)
Event = Literal["door", "park", "alarm"]


class Outcome(enum.Enum):
    SENT = "sent"
    REFUSED = "refused"
    NO_ANSWER = "no answer"


class Espa:
    def __init__(
        self,
        *,
        settings: EspaSettings,
        line: SerialLine,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``now`` stamps the state ``minipbx status`` shows; ``clock`` times answers."""
        self._settings = settings
        self._line = line
        self._now = now
        self._clock = clock
        self._queue: collections.deque[PagerCall] = collections.deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="espa", daemon=True)
        self._state = "starting"
        self._since = now()
        self.last_error: str | None = None
        self.sent = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout=5)

    def send(self, address: str, text: str, priority: int = 1) -> None:
        """Queues ``text`` for handset or pager ``address`` (its call address in the DECT or
        paging system) at ESPA ``priority`` 1-9; returns at once, from any thread. The
        door feature calls this when a door station rings."""
        settings = self._settings
        call = PagerCall(
            address=address,
            text=text[: settings.max_text],
            beep_coding=settings.beep_coding,
            call_type=settings.call_type,
            transmissions=settings.transmissions,
            priority=priority,
        )
        with self._lock:
            self._queue.append(call)
        self._wake.set()

    def send_event(self, event: Event, text: str, *, fallback: Sequence[str] = ()) -> None:
        """``text`` to the addresses ``[espa.events]`` names for ``event``, or to
        ``fallback`` when it names none."""
        chosen = getattr(self._settings.events, event)
        for address in chosen.addresses or fallback:
            self.send(address, text, chosen.priority)

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {
                "port": self._line.shown,
                "state": self._state,
                "since": self._since.isoformat(timespec="seconds"),
                "messages_waiting": len(self._queue),
                "sent": self.sent,
                "last_error": self.last_error,
            }

    def _run(self) -> None:
        try:
            while not self._stopping.is_set():
                self._wake.clear()  # before the turn: a wake during it is kept
                try:
                    pause = self._turn()
                except Exception as exc:  # a driver bug must not end the thread
                    log.exception("espa: unexpected failure")
                    self._line.close()
                    self._set_state("lost", f"unexpected: {exc!r}")
                    pause = self._settings.reconnect
                if pause:
                    self._wake.wait(pause)
        finally:
            self._line.close()

    def _turn(self) -> float:
        """One step of the control station; how long to wait before the next (0: at once)."""
        settings = self._settings
        try:
            if not self._line.is_open:
                self._line.open()
                self._set_state("open")
            with self._lock:
                call = self._queue[0] if self._queue else None
            if call is None:
                return settings.poll_interval if self._check_link() else settings.reconnect
            outcome = self._deliver(call)
        except LineGoneError as exc:
            self._line.close()
            self._set_state("lost", str(exc))
            return settings.reconnect
        if outcome is Outcome.NO_ANSWER:
            self._set_state("no answer", f"no answer from station {settings.pager}")
            return settings.reconnect
        with self._lock:
            self._queue.popleft()
            if outcome is Outcome.SENT:
                self.sent += 1
        if outcome is Outcome.REFUSED:
            self._set_state("open", f"message to {call.address} refused (NAK)")
            log.error("espa: message to %s refused after %d tries", call.address, settings.retries)
        else:
            self._set_state("open")
        with self._lock:
            return 0 if self._queue else settings.poll_interval

    def _check_link(self) -> bool:
        answer = self._exchange(select(self._settings.pager))
        self._line.write_all(EOT)
        if answer in (ACK, NAK):  # NAK: busy, but there
            self._set_state("open")
            return True
        self._set_state("no answer", f"no answer from station {self._settings.pager}")
        return False

    def _deliver(self, call: PagerCall) -> Outcome:
        """One transaction: select, block, EOT; each step tried 1 + ``retries`` times."""
        tries = self._settings.retries + 1
        if not any(self._exchange(select(self._settings.pager)) == ACK for _ in range(tries)):
            self._line.write_all(EOT)
            return Outcome.NO_ANSWER
        block = call_block(call)
        answer = b""
        for _ in range(tries):
            answer = self._exchange(block)
            if answer == ACK:
                break
        self._line.write_all(EOT)
        if answer == ACK:
            return Outcome.SENT
        return Outcome.REFUSED if answer == NAK else Outcome.NO_ANSWER

    def _exchange(self, data: bytes) -> bytes:
        """Sends ``data`` and returns ACK, NAK, or b"" when neither came in time."""
        self._line.discard_input()
        self._line.write_all(data)
        deadline = self._clock() + self._settings.answer_timeout
        while self._clock() < deadline and not self._stopping.is_set():
            byte = self._line.read(1)
            if byte in (ACK, NAK):
                return byte
        return b""

    def _set_state(self, state: str, error: str | None = None) -> None:
        with self._lock:
            if state != self._state:
                log.log(logging.INFO if state == "open" else logging.WARNING, "espa: %s", state)
                self._state, self._since = state, self._now()
            if error:
                self.last_error = error
