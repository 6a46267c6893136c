"""Bitrix24 through an inbound webhook: telephony.externalCall.searchCrmEntities.

The method is made for this question: it returns the CRM objects with the
number in Bitrix24's own priority order, each with its responsible user, and
Bitrix24 recommends taking the first. Its ``USER_PHONE_INNER`` is the user's
inner number, taken as the extension when set.

The webhook URL (https://PORTAL/rest/USER/CODE/) holds its secret code, so no
message names more of it than the portal.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from firmware.crm.base import Budget, CrmMatch, Http

# Bitrix24's bucket: 2 requests/s, 50 before it refuses (other tariffs than Enterprise).
PER_SECOND = 2.0
BURST = 50

METHOD = "telephony.externalCall.searchCrmEntities.json"


class Bitrix24:
    """The first CRM object Bitrix24 finds for the caller's number."""

    name = "bitrix24"

    def __init__(
        self,
        *,
        webhook: str,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._webhook = webhook if webhook.endswith("/") else webhook + "/"
        self._what = f"{METHOD} at {httpx.URL(self._webhook).host}"
        self._http = Http(transport=transport)
        self._http.hide(self._webhook, httpx.URL(self._webhook).path.strip("/").split("/")[-1])
        self._clock = clock

    def lookup(self, number: str, *, timeout: float) -> CrmMatch | None:
        response = self._http.send(
            "POST",
            self._webhook + METHOD,
            budget=Budget(timeout, self._clock),
            what=self._what,
            json={"PHONE_NUMBER": f"+{number}"},
        )
        self._http.check(response, self._what)
        body = self._http.json(response, self._what)
        found = body.get("result") if isinstance(body, dict) else None
        if not isinstance(found, list) or not all(isinstance(f, dict) for f in found):
            raise self._http.error("bad_response", f"{self._what}: no result list")
        return _match(found[0]) if found else None

    def close(self) -> None:
        self._http.close()


def _match(entity: dict[str, Any]) -> CrmMatch:
    assigned = entity.get("ASSIGNED_BY")
    assigned = assigned if isinstance(assigned, dict) else {}
    user = entity.get("ASSIGNED_BY_ID") or assigned.get("ID")
    inner = str(assigned.get("USER_PHONE_INNER") or "").strip()
    kind = str(entity.get("CRM_ENTITY_TYPE", "entity")).lower()
    name = entity.get("NAME") or ""
    return CrmMatch(
        user=None if user is None else str(user),
        extension=inner or None,
        detail=f"{kind} {entity.get('CRM_ENTITY_ID')} {name}".rstrip(),
    )
