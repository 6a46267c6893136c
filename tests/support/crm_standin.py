"""A loopback CRM: amoCRM, Bitrix24 and Megaplan answering from one small table, as documented.

    with CrmStandin(contacts={"74957654321": ("7", "103", "Anna")}) as crm:
        crm.url          # amoCRM's and Megaplan's base URL: http://127.0.0.1:PORT
        crm.webhook      # Bitrix24's inbound webhook: {url}/rest/1/{WEBHOOK_CODE}/
        crm.amo_token    # amoCRM's valid access token (long-lived or OAuth)
        crm.slow = 60.0  # every answer waits 60 s first (cut short when the server closes)
        crm.fail_next(401)   # the next API request: the token has expired
        crm.fail_next(429)   # the next API request: too many (Bitrix24: 503 QUERY_LIMIT_EXCEEDED)
        crm.garbage_next()   # the next API request: 200 with a body that is not JSON
        crm.requests     # what it served, oldest first
        crm.contacts[...] = (...)  # the table can change while it runs

A contact is ``phone digits -> (CRM user id, extension or None, contact's name)``:
amoCRM finds it by its PHONE field (fuzzy, as ``query`` is) and names the user
responsible, Bitrix24 gives the extension as the user's USER_PHONE_INNER,
Megaplan's call route names the user as the responsible employee. amoCRM has no
companies here, so its company search is always 204. Tokens are checked as the
real CRMs do: amoCRM's refresh token works once and rotates, Megaplan's login
needs MEGAPLAN_USERNAME and MEGAPLAN_PASSWORD, Bitrix24's webhook its code.
"""

from __future__ import annotations

import json
import sys
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

Contact = tuple[str, str | None, str]

GARBAGE = b'{"result": [{"CRM_ENTITY_TYPE": "CONT'
API_TOKEN_PATHS = ("/oauth2/access_token", "/api/v3/auth/access_token")
BITRIX_METHOD = "telephony.externalCall.searchCrmEntities"


@dataclass(frozen=True)
class Served:
    """One request and the status it got; header names are lower case."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass(frozen=True)
class _Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/json"


def _json(status: int, body: Any, content_type: str = "application/json") -> _Reply:
    return _Reply(status, json.dumps(body, ensure_ascii=False).encode(), content_type)


def _tail(text: str) -> str:
    return "".join(c for c in text if c.isdigit())[-10:]


class CrmStandin:
    """The three CRMs on one 127.0.0.1 port, for as long as the ``with`` block lasts."""

    WEBHOOK_CODE = "standin-webhook-code"
    AMO_CLIENT_ID = "standin-integration"
    AMO_CLIENT_SECRET = "standin-client-secret"
    AMO_REDIRECT_URI = "https://box.example/amocrm"
    MEGAPLAN_USERNAME = "box@office.example"
    MEGAPLAN_PASSWORD = "standin-password"

    def __init__(self, contacts: Mapping[str, Contact] | None = None) -> None:
        self.contacts = dict(contacts or {})
        self.slow = 0.0
        self.amo_token: str | None = "amo-access-1"
        self.amo_refresh_token = "amo-refresh-1"
        self._amo_issued = 1
        self._megaplan_issued = 0
        self._megaplan_tokens: set[str] = set()
        self._next: deque[int | str] = deque()  # a status to refuse with, or "garbage"
        self._served: list[Served] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._server = _Server(self)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.webhook = f"{self.url}/rest/1/{self.WEBHOOK_CODE}/"
        # A short poll, so closing takes milliseconds rather than serve_forever's 0.5 s.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> CrmStandin:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    @property
    def requests(self) -> list[Served]:
        with self._lock:
            return list(self._served)

    def fail_next(self, status: int) -> None:
        """The next API request (not a token request) is refused with ``status``.

        401 also expires the tokens handed out: amoCRM's client must refresh,
        Megaplan's log in again. 429 is Bitrix24's 503 QUERY_LIMIT_EXCEEDED.
        """
        with self._lock:
            self._next.append(status)

    def garbage_next(self) -> None:
        """The next API request is answered 200 with a body that is not JSON."""
        with self._lock:
            self._next.append("garbage")

    def _serve(self, method: str, target: str, headers: dict[str, str], body: bytes) -> _Reply:
        """The reply to one request; called by the server's handler threads."""
        parts = urlsplit(target)
        reply = self._reply(method, parts.path, parts.query, headers, body)
        with self._lock:
            self._served.append(
                Served(method, parts.path, unquote(parts.query), headers, body, reply.status)
            )
        self._closing.wait(self.slow)
        return reply

    def _reply(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> _Reply:
        with self._lock:
            planned = self._next.popleft() if self._next and path not in API_TOKEN_PATHS else None
            if planned == 401:
                self.amo_token = None
                self._megaplan_tokens.clear()
        crm = "bitrix24" if path.startswith("/rest/") else "megaplan" if "/v3/" in path else "amo"
        if planned == "garbage":
            return _Reply(200, GARBAGE)
        if isinstance(planned, int):
            return _refusal(crm, planned)
        bearer = headers.get("authorization", "").removeprefix("Bearer ")
        if (method, path) == ("POST", "/oauth2/access_token"):
            return self._amo_refresh(json.loads(body or b"{}"))
        if method == "GET" and path in ("/api/v4/contacts", "/api/v4/companies"):
            if bearer != self.amo_token:
                return _refusal("amo", 401)
            found = parse_qs(query).get("query", [""])[0]
            return self._amo_search(path.rsplit("/", 1)[1], _tail(found))
        if method == "POST" and path.startswith("/rest/"):
            return self._bitrix(path, json.loads(body or b"{}"))
        if (method, path) == ("POST", "/api/v3/auth/access_token"):
            return self._megaplan_login(parse_qs(body.decode()))
        if (method, path) == ("GET", "/api/v3/callRoute"):
            if bearer not in self._megaplan_tokens:
                return _refusal("megaplan", 401)
            return self._megaplan_route(_megaplan_phone(query))
        return _json(404, {"error": "NOT_FOUND", "error_description": f"no {method} {path}"})

    def _amo_refresh(self, asked: dict[str, Any]) -> _Reply:
        given = (asked.get("client_id"), asked.get("client_secret"), asked.get("grant_type"))
        with self._lock:
            if given != (self.AMO_CLIENT_ID, self.AMO_CLIENT_SECRET, "refresh_token") or (
                asked.get("refresh_token") != self.amo_refresh_token
            ):
                return _json(
                    400,
                    {"title": "Некорректный запрос", "status": 400, "hint": "Token has expired"},
                    "application/problem+json",
                )
            self._amo_issued += 1
            self.amo_token = f"amo-access-{self._amo_issued}"
            self.amo_refresh_token = f"amo-refresh-{self._amo_issued}"
            pair = {"access_token": self.amo_token, "refresh_token": self.amo_refresh_token}
        return _json(200, {"token_type": "Bearer", "expires_in": 86400, **pair})

    def _amo_search(self, entities: str, query: str) -> _Reply:
        hits = [
            {
                "id": 4700 + index,
                "name": name,
                "responsible_user_id": int(user) if user.isdigit() else user,
                "custom_fields_values": [
                    {"field_code": "PHONE", "values": [{"value": _typed(phone)}]}
                ],
            }
            for index, (phone, (user, _, name)) in enumerate(sorted(self.contacts.items()))
            if entities == "contacts" and query and query in phone
        ]
        if not hits:
            return _Reply(204)
        return _json(200, {"_page": 1, "_embedded": {entities: hits}}, "application/hal+json")

    def _bitrix(self, path: str, asked: dict[str, Any]) -> _Reply:
        if path.split("/")[3:4] != [self.WEBHOOK_CODE]:
            return _json(401, {"error": "INVALID_CREDENTIALS", "error_description": "No webhook"})
        if path.rsplit("/", maxsplit=1)[-1].removesuffix(".json") != BITRIX_METHOD:
            return _json(404, {"error": "ERROR_METHOD_NOT_FOUND"})
        wanted = _tail(str(asked.get("PHONE_NUMBER", "")))
        found = [
            {
                "CRM_ENTITY_TYPE": "CONTACT",
                "CRM_ENTITY_ID": 650 + index,
                "ASSIGNED_BY_ID": int(user) if user.isdigit() else user,
                "NAME": name,
                "ASSIGNED_BY": {"ID": user, "TIMEMAN_STATUS": "OPENED", "USER_PHONE_INNER": inner},
            }
            for index, (phone, (user, inner, name)) in enumerate(sorted(self.contacts.items()))
            if wanted and _tail(phone) == wanted
        ]
        return _json(200, {"result": found, "time": {"duration": 0.01}})

    def _megaplan_login(self, form: dict[str, list[str]]) -> _Reply:
        given = [form.get(key, [""])[0] for key in ("username", "password", "grant_type")]
        if given != [self.MEGAPLAN_USERNAME, self.MEGAPLAN_PASSWORD, "password"]:
            return _json(400, {"error": "invalid_grant", "error_description": "Wrong login"})
        with self._lock:
            self._megaplan_issued += 1
            token = f"megaplan-token-{self._megaplan_issued}"
            self._megaplan_tokens.add(token)
        return _json(200, {"access_token": token, "expires_in": 3600, "token_type": "bearer"})

    def _megaplan_route(self, wanted: str) -> _Reply:
        """The responsibles for a known number, everyone (a ring group) for another."""
        mine = [(p, c) for p, c in sorted(self.contacts.items()) if wanted and _tail(p) == wanted]
        if mine:
            phone, (user, _, name) = mine[0]
            route = {
                "type": "responsible",
                "employees": [{"contentType": "Employee", "id": user, "name": f"Manager {user}"}],
                "users": [{"contentType": "ContractorHuman", "id": phone[-4:], "name": name}],
            }
        else:
            everyone = sorted({user for user, _, _ in self.contacts.values()})
            route = {
                "type": "all",
                "employees": [{"contentType": "Employee", "id": u} for u in everyone],
                "users": [],
            }
        data = {"contentType": "CallRoute", "timeout": 20, **route}
        return _json(200, {"meta": {"status": 200, "errors": []}, "data": data})


def _megaplan_phone(query: str) -> str:
    """The phone of Megaplan's JSON query string, ``?{"phone":"+74951234567"}``."""
    try:
        asked = json.loads(unquote(query))
    except ValueError:
        return ""
    return _tail(str(asked.get("phone", ""))) if isinstance(asked, dict) else ""


def _typed(phone: str) -> str:
    """A number as a person types it into amoCRM: +7 (495) 765-43-21."""
    if len(phone) == 11 and phone.startswith("7"):
        return f"+7 ({phone[1:4]}) {phone[4:7]}-{phone[7:9]}-{phone[9:]}"
    return f"+{phone}"


def _refusal(crm: str, status: int) -> _Reply:
    """A refusal in the CRM's own words."""
    if crm == "bitrix24":
        if status == 429:
            return _json(503, {"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many"})
        return _json(status, {"error": "NO_AUTH_FOUND", "error_description": "Wrong auth"})
    if crm == "megaplan":
        errors = [{"fields": None, "message": f"refused with {status}"}]
        return _json(status, {"meta": {"status": status, "errors": errors}, "data": None})
    problem = {"title": f"refused with {status}", "status": status}
    return _json(status, problem, "application/problem+json")


class _Server(ThreadingHTTPServer):
    # Closing waits for every answer under way (a slow one is cut short), so none is
    # written after its test.
    daemon_threads = False
    block_on_close = True

    def __init__(self, standin: CrmStandin) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.standin = standin

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (a timeout test) leaves a closed socket: no traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: ``requests`` holds what was served."""

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {name.lower(): value for name, value in self.headers.items()}
        reply = self.server.standin._serve(self.command, self.path, headers, body)
        self.send_response(reply.status)
        if reply.status != 204:
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)
