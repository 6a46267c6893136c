"""The BLF feature's service: each park slot's lamp, published through Kamailio.

Extensions' lamps need nothing from the engine: every call reaches a phone
through Kamailio, whose pua_dialoginfo publishes the dialogs it relays. A park
slot is no dialog Kamailio sees, so the engine publishes it: a slot holding a
call is a confirmed dialog of the entity ``sip:<park code><slot>@<domain>`` (the
number a phone dials to take it, ``*71``), a free slot a terminated one. The
PUBLISH is sent by Kamailio's pua (RPC ``pua.send_publish``: ``pua.publish``
would wait for the answer, which the jsonrpcs datagram socket cannot), which
keeps each slot's publication (its ETag) as one series. A failure is logged by
Kamailio; the RPC runs in a worker thread of its own so that a Kamailio that is
slow to answer never holds the engine thread.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from firmware.config import Config
from firmware.engine.features.blf.document import CONTENT_TYPE, busy_dialogs, dialog_info
from firmware.sipedge.rpc import KamailioRpcError, rpc_call

log = logging.getLogger(__name__)

#: Seconds a busy slot's published state lasts; a parked call rings its parker back long before.
PUBLISH_EXPIRES = 3600
#: Seconds the ended dialog of a freed slot is kept: long enough for every watcher to be told.
TERMINATED_EXPIRES = 30


class ParkLamps:
    def __init__(self, *, config: Callable[[], Config], rpc_socket: Path) -> None:
        self._config = config
        self._rpc_socket = rpc_socket
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="blf")
        #: The dialog (and pua series) of the call each busy slot holds.
        self._dialogs: dict[int, str] = {}
        self._version = 0

    def _entity(self, slot: int) -> str:
        config = self._config()
        return f"sip:{config.dialing.park}{slot}@{config.system.sip_domain}"

    def slot_changed(self, slot: int, waiting: str | None) -> Future[None]:
        """Line ``slot`` now holds a call from ``waiting``, or is free (None).

        Each parked call is a dialog of its own: presence keeps a terminated dialog
        terminated, so the next call on the line cannot reuse its id.
        """
        entity = self._entity(slot)
        if waiting is not None:
            dialog = self._dialogs[slot] = f"park-{slot}-{uuid.uuid4().hex[:12]}"
            expires = PUBLISH_EXPIRES
        elif slot in self._dialogs:
            dialog = self._dialogs.pop(slot)
            expires = TERMINATED_EXPIRES
        else:
            return self._worker.submit(lambda: None)  # free already
        return self._worker.submit(
            self._publish,
            entity,
            dialog,
            "terminated" if waiting is None else "confirmed",
            expires,
            None if waiting is None else f"sip:{waiting}@{self._config().system.sip_domain}",
        )

    def _publish(
        self, entity: str, dialog: str, state: str, expires: int, remote: str | None = None
    ) -> None:
        """One PUBLISH of ``dialog``'s state, by pua in the series named after the dialog."""
        self._version += 1
        body = dialog_info(entity, dialog=dialog, state=state, version=self._version, remote=remote)
        self._rpc(
            "pua.send_publish",
            entity,
            str(expires),
            "dialog",
            CONTENT_TYPE,
            dialog,
            ".",
            ".",
            ".",
            body,
        )

    def all_free(self) -> None:
        """At start: a slot an engine before this one left busy (it was killed while a
        call was parked) is freed, its dialog ended in the series pua still keeps."""
        self._worker.submit(self._end_stale_dialogs)

    def _end_stale_dialogs(self) -> None:
        try:
            published = rpc_call(self._rpc_socket, "presence.presentity_list", "full")
        except (KamailioRpcError, OSError) as exc:
            log.warning("BLF: cannot read what is published: %s", exc)
            return
        slots = {self._entity(slot): slot for slot in range(1, self._config().park.slots + 1)}
        for entry in published or []:
            entity = f"sip:{entry.get('user')}@{entry.get('domain')}"
            if entry.get("event") != "dialog" or entity not in slots:
                continue
            for dialog in busy_dialogs(entry.get("body", "")):
                log.info("BLF: line %d was left busy; freed", slots[entity])
                self._publish(entity, dialog, "terminated", TERMINATED_EXPIRES)

    def _rpc(self, method: str, *params: str) -> None:
        try:
            rpc_call(self._rpc_socket, method, *params)
        except (KamailioRpcError, OSError) as exc:
            log.warning("BLF: %s %s failed: %s", method, params[0], exc)

    def close(self) -> None:
        self._worker.shutdown(wait=True)
