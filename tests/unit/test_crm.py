"""The CRM clients against httpx.MockTransport, and CrmSource around them, on fake clocks."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

import httpx
import pytest
from pydantic import SecretStr

from firmware.config import icm as config
from firmware.crm.amocrm import AmoCrm, LongLivedToken, OAuthTokens
from firmware.crm.base import Client, CrmError, CrmMatch, same_phone
from firmware.crm.bitrix24 import Bitrix24
from firmware.crm.megaplan import Megaplan
from firmware.crm.source import CrmSource, CrmStatus, RateLimit, build
from firmware.routing.icm import SourceAnswer

Handler = Callable[[httpx.Request], httpx.Response]

NUMBER = "74951234567"
AMO_URL = "https://office.amocrm.ru"
AMO_TOKEN = "amo-long-lived-s3cret"
CLIENT_SECRET = "amo-client-s3cret"
WEBHOOK_CODE = "b1trix-c0de-s3cret"
WEBHOOK = f"https://office.bitrix24.ru/rest/1/{WEBHOOK_CODE}/"
MEGAPLAN_URL = "https://office.megaplan.ru"
PASSWORD = "megaplan-pa55-s3cret"
SEARCH = f"{WEBHOOK}telephony.externalCall.searchCrmEntities.json"


class FakeClock:
    """Seconds that pass only when a test (or the fake sleep) says so."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class Recorder:
    """A MockTransport that keeps every request it was handed."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self._handle)

    @property
    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)


def amo_entity(entity_id: int, name: str, user: int, *phones: str) -> dict[str, Any]:
    values = [{"value": p, "enum_code": "WORK"} for p in phones]
    return {
        "id": entity_id,
        "name": name,
        "responsible_user_id": user,
        "custom_fields_values": [{"field_code": "PHONE", "values": values}],
    }


def amo_page(kind: str, *entities: dict[str, Any]) -> httpx.Response:
    return httpx.Response(200, json={"_page": 1, "_embedded": {kind: list(entities)}})


def amo(handler: Handler) -> tuple[AmoCrm, Recorder]:
    served = Recorder(handler)
    return AmoCrm(url=AMO_URL, auth=LongLivedToken(AMO_TOKEN), transport=served.transport), served


def bitrix(handler: Handler) -> tuple[Bitrix24, Recorder]:
    served = Recorder(handler)
    return Bitrix24(webhook=WEBHOOK, transport=served.transport), served


def megaplan_login(request: httpx.Request) -> httpx.Response | None:
    if request.url.path == "/api/v3/auth/access_token":
        return httpx.Response(200, json={"access_token": "mp-token", "expires_in": 3600})
    return None


def megaplan(handler: Handler, clock: FakeClock | None = None) -> tuple[Megaplan, Recorder]:
    served = Recorder(lambda r: megaplan_login(r) or handler(r))
    client = Megaplan(
        url=MEGAPLAN_URL,
        username="box@office.ru",
        password=PASSWORD,
        transport=served.transport,
        clock=clock or FakeClock(),
    )
    return client, served


def lookup_error(client: Client, number: str = NUMBER) -> CrmError:
    with pytest.raises(CrmError) as raised:
        client.lookup(number, timeout=1.5)
    return raised.value


def test_numbers_match_on_their_last_ten_digits() -> None:
    assert same_phone("+7 (495) 123-45-67", "84951234567")
    assert same_phone("4951234567", NUMBER)
    assert not same_phone("+7 (495) 123-45-68", NUMBER)
    assert not same_phone("", "")


# --- amoCRM -------------------------------------------------------------------------------


def test_amocrm_takes_the_first_contact_whose_phone_really_is_the_callers() -> None:
    fuzzy = amo_entity(4710, "INN 4951234567 LLC", 5, "+7 999 000-00-00")
    other = amo_entity(4711, "Ivan Petrov", 55, "8 (495) 123-45-67")
    later = amo_entity(4712, "Also Ivan", 66, "+74951234567")
    client, served = amo(lambda r: amo_page("contacts", fuzzy, other, later))

    assert client.lookup(NUMBER, timeout=1.5) == CrmMatch("55", None, "contact 4711 Ivan Petrov")
    (request,) = served.requests
    assert request.url.path == "/api/v4/contacts"
    assert request.url.params["query"] == "4951234567"
    assert request.headers["Authorization"] == f"Bearer {AMO_TOKEN}"


def test_amocrm_asks_for_companies_when_no_contact_has_the_number() -> None:
    fuzzy = amo_entity(4710, "Note with 4951234567", 5, "+7 999 000-00-00")
    company = amo_entity(88, "Romashka LLC", 77, "+7 495 123 45 67")

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v4/contacts":
            return amo_page("contacts", fuzzy)
        return amo_page("companies", company)

    client, served = amo(answer)
    assert client.lookup(NUMBER, timeout=1.5) == CrmMatch("77", None, "company 88 Romashka LLC")
    assert served.paths == ["/api/v4/contacts", "/api/v4/companies"]


def test_amocrm_204_for_contacts_and_companies_is_no_match() -> None:
    client, served = amo(lambda r: httpx.Response(204))
    assert client.lookup(NUMBER, timeout=1.5) is None
    assert served.paths == ["/api/v4/contacts", "/api/v4/companies"]


def test_amocrm_asks_for_companies_only_with_the_time_the_contacts_left() -> None:
    clock = FakeClock()
    took = {"/api/v4/contacts": 1.0, "/api/v4/companies": 0.0}

    def slow(request: httpx.Request) -> httpx.Response:
        clock.now += took[request.url.path]
        return httpx.Response(204)

    served = Recorder(slow)
    client = AmoCrm(
        url=AMO_URL, auth=LongLivedToken(AMO_TOKEN), transport=served.transport, clock=clock
    )
    assert client.lookup(NUMBER, timeout=1.5) is None
    assert [r.extensions["timeout"]["read"] for r in served.requests] == [1.5, 0.5]

    took["/api/v4/contacts"] = 1.6
    error = lookup_error(client)
    assert (error.kind, len(served.requests)) == ("timeout", 3)
    assert str(error) == "companies search at office.amocrm.ru: the lookup's 1.5 s are used up"


def test_amocrm_a_long_lived_token_refused_is_auth_and_not_retried() -> None:
    client, served = amo(lambda r: httpx.Response(401, json={"title": "Unauthorized"}))
    error = lookup_error(client)
    assert error.kind == "auth"
    assert "HTTP 401: Unauthorized" in str(error)
    assert len(served.requests) == 1


def test_amocrm_an_answer_without_embedded_contacts_is_bad_response() -> None:
    client, _ = amo(lambda r: httpx.Response(200, json={"_page": 1}))
    assert lookup_error(client).kind == "bad_response"


class FakeAmoOAuth:
    """amoCRM's token endpoint and contacts: a refresh token works once, and rotates."""

    def __init__(self, token_file: Path) -> None:
        self.token_file = token_file
        self.access: str | None = None
        self.refresh = "refresh-0"
        self.issued = 0
        self.refreshed_with: list[dict[str, Any]] = []
        self.stored_before_use: list[bool] = []

    def expire(self) -> None:
        self.access = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth2/access_token":
            asked = json.loads(request.content)
            self.refreshed_with.append(asked)
            if asked["refresh_token"] != self.refresh:
                return httpx.Response(400, json={"hint": "Token has been revoked"})
            self.issued += 1
            self.access, self.refresh = f"access-{self.issued}", f"refresh-{self.issued}"
            pair = {"access_token": self.access, "refresh_token": self.refresh}
            return httpx.Response(200, json={"token_type": "Bearer", "expires_in": 86400, **pair})
        if request.headers["Authorization"] != f"Bearer {self.access}":
            return httpx.Response(401, json={"title": "Unauthorized"})
        stored = json.loads(self.token_file.read_text()) if self.token_file.exists() else {}
        self.stored_before_use.append(stored.get("refresh_token") == self.refresh)
        return amo_page("contacts", amo_entity(4711, "Ivan Petrov", 55, "+74951234567"))


def amo_oauth(
    server: FakeAmoOAuth, wall: FakeClock, refresh_token: str | None = "refresh-0"
) -> tuple[AmoCrm, Recorder]:
    served = Recorder(server)
    auth = OAuthTokens(
        url=AMO_URL,
        client_id="integration-id",
        client_secret=CLIENT_SECRET,
        redirect_uri="https://box.office.ru/amocrm",
        token_file=server.token_file,
        refresh_token=refresh_token,
        wall_clock=wall,
    )
    return AmoCrm(url=AMO_URL, auth=auth, transport=served.transport), served


def test_amocrm_oauth_saves_each_rotated_pair_before_using_it(tmp_path: Path) -> None:
    server = FakeAmoOAuth(tmp_path / "amocrm.tokens")
    wall = FakeClock(1_700_000_000.0)
    client, served = amo_oauth(server, wall)

    assert client.lookup(NUMBER, timeout=1.5) is not None  # no token file yet: from pbx.toml
    server.expire()
    assert client.lookup(NUMBER, timeout=1.5) is not None  # 401, refresh, once more

    assert [asked["refresh_token"] for asked in server.refreshed_with] == [
        "refresh-0",
        "refresh-1",
    ]
    assert server.refreshed_with[0] == {
        "client_id": "integration-id",
        "client_secret": CLIENT_SECRET,
        "grant_type": "refresh_token",
        "refresh_token": "refresh-0",
        "redirect_uri": "https://box.office.ru/amocrm",
    }
    assert served.paths == [
        "/oauth2/access_token",
        "/api/v4/contacts",
        "/api/v4/contacts",
        "/oauth2/access_token",
        "/api/v4/contacts",
    ]
    assert server.stored_before_use == [True, True]
    assert json.loads(server.token_file.read_text()) == {
        "access_token": "access-2",
        "refresh_token": "refresh-2",
        "expires_at": 1_700_000_000.0 + 86400,
    }
    assert os.stat(server.token_file).st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["amocrm.tokens"]


def test_amocrm_oauth_refreshes_an_expired_access_token_before_asking(tmp_path: Path) -> None:
    server = FakeAmoOAuth(tmp_path / "amocrm.tokens")
    server.access, server.refresh = "access-stored", "refresh-stored"
    stored = {"access_token": "access-stored", "refresh_token": "refresh-stored"}
    server.token_file.write_text(json.dumps({**stored, "expires_at": 2000.0}))
    wall = FakeClock(1000.0)
    client, served = amo_oauth(server, wall, refresh_token=None)

    client.lookup(NUMBER, timeout=1.5)
    assert served.paths == ["/api/v4/contacts"]
    wall.now = 1950.0  # within a minute of the expiry
    client.lookup(NUMBER, timeout=1.5)
    assert served.paths[1:] == ["/oauth2/access_token", "/api/v4/contacts"]
    assert server.refreshed_with[0]["refresh_token"] == "refresh-stored"


def test_amocrm_oauth_takes_the_pair_another_process_rotated(tmp_path: Path) -> None:
    """``minipbx explain`` refreshing in its own process must not lock the engine out."""
    server = FakeAmoOAuth(tmp_path / "amocrm.tokens")
    engine, _ = amo_oauth(server, FakeClock(1_700_000_000.0))
    explain, _ = amo_oauth(server, FakeClock(1_700_000_000.0))
    engine.lookup(NUMBER, timeout=1.5)
    server.expire()
    explain.lookup(NUMBER, timeout=1.5)  # rotates: the engine's pair is dead
    assert engine.lookup(NUMBER, timeout=1.5) is not None  # 401, then the file's new pair
    assert [asked["refresh_token"] for asked in server.refreshed_with] == [
        "refresh-0",
        "refresh-1",
    ]


def test_amocrm_a_refused_refresh_is_auth(tmp_path: Path) -> None:
    server = FakeAmoOAuth(tmp_path / "amocrm.tokens")
    client, _ = amo_oauth(server, FakeClock(), refresh_token="refresh-dead")
    error = lookup_error(client)
    assert error.kind == "auth"
    assert "token refresh at office.amocrm.ru: HTTP 400: Token has been revoked" in str(error)
    assert "refresh-dead" not in str(error)


def test_amocrm_no_token_file_and_no_refresh_token_is_auth(tmp_path: Path) -> None:
    client, served = amo_oauth(FakeAmoOAuth(tmp_path / "amocrm.tokens"), FakeClock(), None)
    error = lookup_error(client)
    assert (error.kind, served.requests) == ("auth", [])
    assert "amocrm.tokens" in str(error)


def test_amocrm_tokens_it_cannot_save_are_used_from_memory_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server = FakeAmoOAuth(tmp_path / "no-such-folder" / "amocrm.tokens")
    client, _ = amo_oauth(server, FakeClock())

    assert client.lookup(NUMBER, timeout=1.5) is not None
    server.expire()
    assert client.lookup(NUMBER, timeout=1.5) is not None  # refresh-1 was kept in memory
    assert [asked["refresh_token"] for asked in server.refreshed_with] == [
        "refresh-0",
        "refresh-1",
    ]
    assert "cannot save the new amoCRM tokens to" in caplog.text
    assert "no-such-folder" in caplog.text
    assert "refresh-1" not in caplog.text


# --- Bitrix24 -----------------------------------------------------------------------------


def bitrix_entity(kind: str, entity_id: int, name: str, user: int, inner: str | None) -> dict:
    assigned = {"ID": str(user), "TIMEMAN_STATUS": "OPENED", "USER_PHONE_INNER": inner}
    return {
        "CRM_ENTITY_TYPE": kind,
        "CRM_ENTITY_ID": entity_id,
        "ASSIGNED_BY_ID": user,
        "NAME": name,
        "ASSIGNED_BY": assigned,
    }


def test_bitrix24_takes_the_first_entity_and_its_users_inner_number() -> None:
    found = [
        bitrix_entity("CONTACT", 651, "John Doe", 99, "103"),
        bitrix_entity("COMPANY", 643, "Daisy LLC", 12, "104"),
    ]
    client, served = bitrix(lambda r: httpx.Response(200, json={"result": found}))

    assert client.lookup(NUMBER, timeout=1.5) == CrmMatch("99", "103", "contact 651 John Doe")
    (request,) = served.requests
    assert (request.method, str(request.url)) == ("POST", SEARCH)
    assert json.loads(request.content) == {"PHONE_NUMBER": "+74951234567"}


@pytest.mark.parametrize("inner", [None, "", " "])
def test_bitrix24_without_an_inner_number_names_only_the_user(inner: str | None) -> None:
    found = [bitrix_entity("LEAD", 7, "Lead from the site", 31, inner)]
    client, _ = bitrix(lambda r: httpx.Response(200, json={"result": found}))
    assert client.lookup(NUMBER, timeout=1.5) == CrmMatch("31", None, "lead 7 Lead from the site")


def test_bitrix24_an_empty_result_is_no_match() -> None:
    client, _ = bitrix(lambda r: httpx.Response(200, json={"result": [], "time": {}}))
    assert client.lookup(NUMBER, timeout=1.5) is None


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (401, "NO_AUTH_FOUND", "auth"),
        (401, "INVALID_CREDENTIALS", "auth"),
        (503, "QUERY_LIMIT_EXCEEDED", "rate_limited"),
        (429, "OPERATION_TIME_LIMIT", "rate_limited"),
        (503, "", "unreachable"),
        (404, "ERROR_METHOD_NOT_FOUND", "bad_response"),
    ],
)
def test_bitrix24_errors_are_named_by_status_and_code(status: int, code: str, kind: str) -> None:
    body = {"error": code, "error_description": "said the portal"} if code else {}
    client, _ = bitrix(lambda r: httpx.Response(status, json=body))
    error = lookup_error(client)
    assert error.kind == kind
    assert str(error).startswith(
        f"telephony.externalCall.searchCrmEntities.json at office.bitrix24.ru: HTTP {status}"
    )
    assert code in str(error)


def test_bitrix24_a_result_that_is_no_list_is_bad_response() -> None:
    client, _ = bitrix(lambda r: httpx.Response(200, json={"result": {"CONTACT": 1}}))
    assert lookup_error(client).kind == "bad_response"


# --- Megaplan -----------------------------------------------------------------------------


def megaplan_route(kind: str, *employees: dict[str, Any], users: list | None = None) -> dict:
    data = {"contentType": "CallRoute", "type": kind, "employees": list(employees)}
    return {"meta": {"status": 200, "errors": []}, "data": {**data, "users": users or []}}


ANNA = {"contentType": "Employee", "id": "1000005", "name": "Anna"}


def test_megaplan_logs_in_and_takes_the_first_responsible_employee() -> None:
    client_human = {"contentType": "ContractorHuman", "id": "77", "name": "Ivan Petrov"}
    route = megaplan_route("responsible", ANNA, {"id": "1000009"}, users=[client_human])
    client, served = megaplan(lambda r: httpx.Response(200, json=route))

    assert client.lookup(NUMBER, timeout=1.5) == CrmMatch(
        "1000005", None, "client 77 Ivan Petrov, responsible employee 1000005 Anna"
    )
    login, ask = served.requests
    assert (login.method, login.url.path) == ("POST", "/api/v3/auth/access_token")
    assert login.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(login.content.decode()) == {
        "username": ["box@office.ru"],
        "password": [PASSWORD],
        "grant_type": ["password"],
    }
    assert (ask.method, ask.url.path) == ("GET", "/api/v3/callRoute")
    assert json.loads(unquote(ask.url.query.decode())) == {"phone": "+74951234567"}
    assert ask.headers["Authorization"] == "Bearer mp-token"


@pytest.mark.parametrize("route", [megaplan_route("all", ANNA), megaplan_route("responsible")])
def test_megaplan_a_ring_group_or_no_employee_is_no_match(route: dict) -> None:
    client, _ = megaplan(lambda r: httpx.Response(200, json=route))
    assert client.lookup(NUMBER, timeout=1.5) is None


def test_megaplan_keeps_its_token_until_it_expires() -> None:
    clock = FakeClock()
    client, served = megaplan(lambda r: httpx.Response(200, json=megaplan_route("all")), clock)
    client.lookup(NUMBER, timeout=1.5)
    client.lookup(NUMBER, timeout=1.5)
    assert served.paths.count("/api/v3/auth/access_token") == 1
    clock.now += 3600 - 60  # the login said 3600 s; a minute's margin
    client.lookup(NUMBER, timeout=1.5)
    assert served.paths.count("/api/v3/auth/access_token") == 2


def test_megaplan_logs_in_again_after_a_401_once() -> None:
    answers = [401, 200, 401, 401]

    def route(request: httpx.Request) -> httpx.Response:
        status = answers.pop(0)
        return httpx.Response(status, json=megaplan_route("responsible", ANNA))

    client, served = megaplan(route)
    assert client.lookup(NUMBER, timeout=1.5) is not None
    assert lookup_error(client).kind == "auth"
    assert served.paths == [
        "/api/v3/auth/access_token",
        "/api/v3/callRoute",
        "/api/v3/auth/access_token",
        "/api/v3/callRoute",
        "/api/v3/callRoute",
        "/api/v3/auth/access_token",
        "/api/v3/callRoute",
    ]


def test_megaplan_a_refused_login_is_auth() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": "invalid_grant", "error_description": "Wrong"})

    served = Recorder(refuse)
    client = Megaplan(
        url=MEGAPLAN_URL, username="box@office.ru", password=PASSWORD, transport=served.transport
    )
    error = lookup_error(client)
    assert error.kind == "auth"
    assert (
        str(error) == "login of box@office.ru at office.megaplan.ru: HTTP 400: invalid_grant; Wrong"
    )


# --- every client alike -------------------------------------------------------------------


def bare(crm: str, handler: Handler) -> Client:
    """A client of ``crm`` whose every request, Megaplan's login too, goes to ``handler``."""
    transport = httpx.MockTransport(handler)
    if crm == "amocrm":
        return AmoCrm(url=AMO_URL, auth=LongLivedToken(AMO_TOKEN), transport=transport)
    if crm == "bitrix24":
        return Bitrix24(webhook=WEBHOOK, transport=transport)
    return Megaplan(url=MEGAPLAN_URL, username="box", password=PASSWORD, transport=transport)


def make(crm: str, handler: Handler) -> Client:
    """A client of ``crm`` whose lookup request goes to ``handler`` (Megaplan's login passes)."""
    makers = {"amocrm": amo, "bitrix24": bitrix, "megaplan": megaplan}
    client, _ = makers[crm](handler)
    return client


def refused(status: int) -> Handler:
    return lambda request: httpx.Response(status, json={"error": "REFUSED"})


def raising(error: type[httpx.TransportError]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error("no luck", request=request)

    return handler


def garbage(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=b"<html>502 Bad Gateway</html>")


CRMS = ["amocrm", "bitrix24", "megaplan"]
FAILURES = [
    pytest.param(refused(429), "rate_limited", id="429"),
    pytest.param(raising(httpx.ReadTimeout), "timeout", id="read-timeout"),
    pytest.param(raising(httpx.ConnectTimeout), "timeout", id="connect-timeout"),
    pytest.param(raising(httpx.ConnectError), "unreachable", id="connect-error"),
    pytest.param(refused(502), "unreachable", id="502"),
    pytest.param(garbage, "bad_response", id="garbage"),
]


@pytest.mark.parametrize("crm", CRMS)
@pytest.mark.parametrize(("failure", "kind"), FAILURES)
def test_every_crm_names_its_failures_alike(crm: str, failure: Handler, kind: str) -> None:
    assert lookup_error(make(crm, failure)).kind == kind


SECRETS = {"amocrm": AMO_TOKEN, "bitrix24": WEBHOOK_CODE, "megaplan": PASSWORD}


def echoing(request: httpx.Request) -> httpx.Response:
    """A CRM that quotes the whole request back, secrets and all."""
    said = f"{request.url} {request.headers.get('Authorization')} {request.content.decode()}"
    return httpx.Response(401, json={"error": "NO_AUTH_FOUND", "error_description": said})


def raising_with_url(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError(f"cannot reach {request.url}", request=request)


@pytest.mark.parametrize("crm", CRMS)
@pytest.mark.parametrize("failure", [echoing, raising_with_url])
def test_no_secret_reaches_the_answer_or_the_log(
    crm: str, failure: Handler, caplog: pytest.LogCaptureFixture
) -> None:
    clock = FakeClock()
    source = CrmSource(
        client=bare(crm, failure),
        users={},
        cache_seconds=60,
        rate=RateLimit(per_second=5, burst=5, clock=clock),
        clock=clock,
    )
    with caplog.at_level(logging.DEBUG):
        answer_given = source.ask(NUMBER, timeout=1.5)

    assert answer_given.error in ("auth", "unreachable")
    if failure is echoing or crm == "bitrix24":  # the secret was there, and is blanked
        assert "***" in answer_given.detail
    for text in (answer_given.detail, caplog.text, str(source.status())):
        assert SECRETS[crm] not in text


# --- CrmSource ----------------------------------------------------------------------------


class FakeClient:
    """Gives the answers it was handed, in order, and keeps what it was asked."""

    name = "amocrm"

    def __init__(self, *answers: CrmMatch | Exception | None, clock: FakeClock, takes: float = 0):
        self.answers = list(answers)
        self.clock = clock
        self.takes = takes
        self.asked: list[tuple[str, float]] = []
        self.during: Callable[[], None] = lambda: None
        self.closed = False

    def lookup(self, number: str, *, timeout: float) -> CrmMatch | None:
        self.asked.append((number, timeout))
        self.clock.now += self.takes
        self.during()
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def close(self) -> None:
        self.closed = True


IVAN = CrmMatch("55", None, "contact 4711 Ivan Petrov")


def source_of(
    client: FakeClient,
    users: dict[str, str] | None = None,
    cache_seconds: float = 60,
    rate: RateLimit | None = None,
) -> CrmSource:
    clock = client.clock
    return CrmSource(
        client=client,
        users=users or {},
        cache_seconds=cache_seconds,
        rate=rate or RateLimit(per_second=100, burst=100, clock=clock, sleep=clock.sleep),
        clock=clock,
    )


@pytest.mark.parametrize(
    ("match", "users", "answer"),
    [
        (
            IVAN,
            {"55": "103"},
            SourceAnswer("amocrm", "103", detail=f"{IVAN.detail}: CRM user 55 is extension 103"),
        ),
        (
            CrmMatch("99", "104", "contact 651 John Doe"),
            {"99": "103"},
            SourceAnswer(
                "amocrm", "103", detail="contact 651 John Doe: CRM user 99 is extension 103"
            ),
        ),
        (
            CrmMatch("99", "104", "contact 651 John Doe"),
            {},
            SourceAnswer(
                "amocrm",
                "104",
                detail="contact 651 John Doe: the CRM gives its user's inner number 104",
            ),
        ),
        (
            IVAN,
            {"7": "101"},
            SourceAnswer(
                "amocrm",
                None,
                detail=f"{IVAN.detail}: CRM user 55 has no extension in [icm.amocrm] users",
            ),
        ),
        (
            CrmMatch(None, None, "company 88 Romashka"),
            {},
            SourceAnswer("amocrm", None, detail="company 88 Romashka: no responsible user"),
        ),
        (None, {"55": "103"}, SourceAnswer("amocrm", None, detail="no match")),
    ],
)
def test_source_turns_the_crm_user_into_an_extension(
    match: CrmMatch | None, users: dict[str, str], answer: SourceAnswer
) -> None:
    assert source_of(FakeClient(match, clock=FakeClock()), users).ask(NUMBER, timeout=1.5) == answer


def test_source_gives_a_crm_error_as_an_answer_and_logs_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = FakeClient(CrmError("timeout", "contacts search: no answer"), clock=FakeClock())
    with caplog.at_level(logging.WARNING):
        answer = source_of(client).ask(NUMBER, timeout=1.5)
    assert answer == SourceAnswer("amocrm", error="timeout", detail="contacts search: no answer")
    (record,) = caplog.records
    assert record.levelname == "WARNING"
    assert record.getMessage() == (
        "amocrm lookup of 74951234567 failed: timeout: contacts search: no answer"
    )


def test_source_survives_a_broken_client_and_logs_the_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = FakeClient(KeyError("responsible_user_id"), clock=FakeClock())
    answer = source_of(client).ask(NUMBER, timeout=1.5)
    assert (answer.error, answer.extension) == ("bad_response", None)
    broke = [r for r in caplog.records if r.exc_info]
    assert [r.getMessage() for r in broke] == ["amocrm lookup of 74951234567 broke"]


def test_source_keeps_answers_for_cache_seconds_and_errors_not_at_all() -> None:
    clock = FakeClock()
    client = FakeClient(IVAN, None, CrmError("timeout", "slow"), None, clock=clock)
    source = source_of(client, {"55": "103"}, cache_seconds=60)

    assert source.ask(NUMBER, timeout=1.5).extension == "103"
    clock.now += 59
    assert source.ask(NUMBER, timeout=1.5).extension == "103"
    assert len(client.asked) == 1
    clock.now += 1
    assert source.ask(NUMBER, timeout=1.5).detail == "no match"  # a new lookup, and kept too
    assert source.ask(NUMBER, timeout=1.5).detail == "no match"
    assert len(client.asked) == 2
    clock.now += 60
    assert source.ask(NUMBER, timeout=1.5).error == "timeout"
    assert source.ask(NUMBER, timeout=1.5).detail == "no match"
    assert len(client.asked) == 4


def test_source_with_cache_seconds_0_asks_every_time() -> None:
    client = FakeClient(IVAN, IVAN, clock=FakeClock())
    source = source_of(client, cache_seconds=0)
    source.ask(NUMBER, timeout=1.5)
    source.ask(NUMBER, timeout=1.5)
    assert len(client.asked) == 2


def test_rate_limit_is_a_token_bucket() -> None:
    clock = FakeClock(0.0)
    rate = RateLimit(per_second=2, burst=2, clock=clock, sleep=clock.sleep)
    assert (rate.take(within=0), rate.take(within=0)) == (0.0, 0.0)
    assert rate.wait_for(0.0) == 0.5
    assert rate.wait_for(0.25) == 0.25
    assert rate.take(within=0.4) is None  # refused, and no token taken
    assert rate.take(within=0.5) == 0.5
    assert clock.slept == [0.5]
    assert rate.wait_for(clock.now) == 0.5  # the token it slept for is gone
    assert rate.wait_for(clock.now + 10) == 0.0
    clock.now += 10
    takes = [rate.take(within=0) for _ in range(3)]
    assert takes == [0.0, 0.0, None]  # ten seconds refill the burst, and no more


def test_source_waits_for_the_rate_limit_only_within_its_timeout() -> None:
    clock = FakeClock()
    client = FakeClient(IVAN, IVAN, clock=clock)
    rate = RateLimit(per_second=1, burst=1, clock=clock, sleep=clock.sleep)
    source = source_of(client, rate=rate)

    source.ask("74950000001", timeout=1.5)
    assert source.ask("74950000002", timeout=1.5).error is None
    assert clock.slept == [1.0]
    assert client.asked[1] == ("74950000002", 0.5)  # the lookup gets what the wait left

    refused = source.ask("74950000003", timeout=0.5)
    assert (refused.error, refused.source) == ("rate_limited", "amocrm")
    assert len(client.asked) == 2
    assert clock.slept == [1.0]


def test_source_status_counts_lookups_failures_and_latency() -> None:
    clock = FakeClock()
    client = FakeClient(IVAN, CrmError("auth", "HTTP 401"), clock=clock, takes=0.25)
    source = source_of(client)
    assert source.status() == CrmStatus()

    source.ask(NUMBER, timeout=1.5)
    source.ask(NUMBER, timeout=1.5)  # from the cache: no lookup
    assert source.status() == CrmStatus(
        last_success_at=1000.25, last_latency_ms=250.0, lookups=1, failures=0
    )
    source.ask("74950000001", timeout=1.5)
    assert source.status() == CrmStatus(
        last_success_at=1000.25,
        last_error_at=1000.5,
        last_error="auth: HTTP 401",
        last_latency_ms=250.0,
        lookups=2,
        failures=1,
    )


def test_source_status_can_be_read_while_a_lookup_runs() -> None:
    client = FakeClient(IVAN, clock=FakeClock())
    source = source_of(client)
    seen: list[CrmStatus] = []

    def read_status() -> None:
        reader = threading.Thread(target=lambda: seen.append(source.status()))
        reader.start()
        reader.join(timeout=5)

    client.during = read_status
    source.ask(NUMBER, timeout=1.5)
    assert seen == [CrmStatus()]


def test_source_close_closes_its_client() -> None:
    client = FakeClient(clock=FakeClock())
    source_of(client).close()
    assert client.closed


# --- build --------------------------------------------------------------------------------


def secret_file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(f"{text}\n")
    return path


def test_build_makes_an_amocrm_source_with_its_users_and_token_file(tmp_path: Path) -> None:
    section = config.AmoCrm(
        url=AMO_URL,
        token_file=secret_file(tmp_path, "amocrm.token", AMO_TOKEN),
        users={"55": "103"},
    )
    served = Recorder(lambda r: amo_page("contacts", amo_entity(1, "Ivan", 55, "+74951234567")))
    source = build("amocrm", section, transport=served.transport, clock=FakeClock())

    assert source.ask(NUMBER, timeout=1.5).extension == "103"
    assert source.ask(NUMBER, timeout=1.5).extension == "103"  # cache_seconds: 60 by default
    (request,) = served.requests
    assert request.headers["Authorization"] == f"Bearer {AMO_TOKEN}"


def test_build_makes_amocrm_oauth_from_its_secret_file_and_token_store(tmp_path: Path) -> None:
    server = FakeAmoOAuth(tmp_path / "amocrm.tokens")
    section = config.AmoCrm(
        url=AMO_URL,
        client_id="integration-id",
        client_secret_file=secret_file(tmp_path, "amocrm.secret", CLIENT_SECRET),
        redirect_uri="https://box.office.ru/amocrm",
        token_file=server.token_file,
        refresh_token=SecretStr("refresh-0"),
        users={"55": "103"},
    )
    served = Recorder(server)
    wall = FakeClock(5000.0)
    source = build("amocrm", section, transport=served.transport, wall_clock=wall)

    assert source.ask(NUMBER, timeout=1.5).extension == "103"
    assert server.refreshed_with[0]["client_secret"] == CLIENT_SECRET
    assert json.loads(server.token_file.read_text())["expires_at"] == 5000.0 + 86400


def test_build_makes_bitrix24_and_megaplan_from_their_secret_files(tmp_path: Path) -> None:
    bitrix_section = config.Bitrix24(webhook_file=secret_file(tmp_path, "b24", WEBHOOK))
    served = Recorder(lambda r: httpx.Response(200, json={"result": []}))
    assert build("bitrix24", bitrix_section, transport=served.transport).ask(
        NUMBER, timeout=1.5
    ) == SourceAnswer("bitrix24", detail="no match")
    assert str(served.requests[0].url) == SEARCH

    megaplan_section = config.Megaplan(
        url=MEGAPLAN_URL,
        username="box@office.ru",
        password_file=secret_file(tmp_path, "mp", PASSWORD),
    )
    logins: list[bytes] = []

    def answer(request: httpx.Request) -> httpx.Response:
        logins.append(request.content)
        return megaplan_login(request) or httpx.Response(200, json=megaplan_route("all"))

    source = build("megaplan", megaplan_section, transport=httpx.MockTransport(answer))
    assert source.ask(NUMBER, timeout=1.5).detail == "no match"
    assert f"password={PASSWORD}".encode() in logins[0]


def test_build_uses_the_crms_rate_limit() -> None:
    clock = FakeClock()
    section = config.Bitrix24(webhook=SecretStr(WEBHOOK), cache_seconds=0)
    served = Recorder(lambda r: httpx.Response(200, json={"result": []}))
    source = build("bitrix24", section, transport=served.transport, clock=clock)

    answers = [source.ask(NUMBER, timeout=0.1) for _ in range(51)]
    assert [a.error for a in answers] == [None] * 50 + ["rate_limited"]  # Bitrix24's burst


def test_build_names_a_secret_file_it_cannot_read(tmp_path: Path) -> None:
    missing = tmp_path / "amocrm.token"
    with pytest.raises(OSError, match=r"\[icm.amocrm\] token_file: cannot read .*amocrm.token"):
        build("amocrm", config.AmoCrm(url=AMO_URL, token_file=missing))


def test_build_refuses_a_webhook_file_without_a_url_and_keeps_it_secret(tmp_path: Path) -> None:
    section = config.Bitrix24(webhook_file=secret_file(tmp_path, "b24", "k3y-0nly-s3cret"))
    with pytest.raises(ValueError, match="holds no URL") as raised:
        build("bitrix24", section)
    assert "b24" in str(raised.value)
    assert "k3y-0nly-s3cret" not in str(raised.value)


def test_build_refuses_a_secret_file_that_is_not_text(tmp_path: Path) -> None:
    path = tmp_path / "mp"
    path.write_bytes(b"\xff\xfe s3cret")
    section = config.Megaplan(url=MEGAPLAN_URL, username="box", password_file=path)
    with pytest.raises(ValueError, match=r"password_file: .*mp is not UTF-8 text") as raised:
        build("megaplan", section)
    assert "s3cret" not in str(raised.value)
