"""The CRM clients through real httpx against the loopback stand-in of all three CRMs."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from firmware.crm.amocrm import AmoCrm, LongLivedToken, OAuthTokens
from firmware.crm.base import Client, CrmError, CrmMatch
from firmware.crm.bitrix24 import Bitrix24
from firmware.crm.megaplan import Megaplan
from tests.support.crm_standin import CrmStandin

ANNA = "74957654321"
STRANGER = "74950000000"


@pytest.fixture
def crm() -> Iterator[CrmStandin]:
    with CrmStandin(contacts={ANNA: ("7", "103", "Anna")}) as standin:
        yield standin


def amocrm(crm: CrmStandin) -> Client:
    assert crm.amo_token is not None
    return AmoCrm(url=crm.url, auth=LongLivedToken(crm.amo_token))


def bitrix24(crm: CrmStandin) -> Client:
    return Bitrix24(webhook=crm.webhook)


def megaplan(crm: CrmStandin) -> Client:
    return Megaplan(url=crm.url, username=crm.MEGAPLAN_USERNAME, password=crm.MEGAPLAN_PASSWORD)


CLIENTS: dict[str, Callable[[CrmStandin], Client]] = {
    "amocrm": amocrm,
    "bitrix24": bitrix24,
    "megaplan": megaplan,
}


@pytest.fixture(params=sorted(CLIENTS))
def client(request: pytest.FixtureRequest, crm: CrmStandin) -> Iterator[Client]:
    made = CLIENTS[request.param](crm)
    yield made
    made.close()


def failure(client: Client, timeout: float = 1.5) -> str:
    with pytest.raises(CrmError) as raised:
        client.lookup(ANNA, timeout=timeout)
    return raised.value.kind


def test_each_crm_names_the_manager_responsible_for_a_known_number(client: Client) -> None:
    assert (
        client.lookup(ANNA, timeout=1.5)
        == {
            "amocrm": CrmMatch("7", None, "contact 4700 Anna"),
            "bitrix24": CrmMatch("7", "103", "contact 650 Anna"),
            "megaplan": CrmMatch("7", None, "client 4321 Anna, responsible employee 7 Manager 7"),
        }[client.name]
    )


def test_each_crm_knows_no_one_for_a_stranger(client: Client) -> None:
    assert client.lookup(STRANGER, timeout=1.5) is None


def test_amocrm_answers_a_stranger_204_for_contacts_and_companies(crm: CrmStandin) -> None:
    amocrm(crm).lookup(STRANGER, timeout=1.5)
    assert [(r.path, r.query, r.status) for r in crm.requests] == [
        ("/api/v4/contacts", "query=4950000000", 204),
        ("/api/v4/companies", "query=4950000000", 204),
    ]


def test_amocrm_oauth_refreshes_after_a_401_and_keeps_the_rotated_token(
    crm: CrmStandin, tmp_path: Path
) -> None:
    token_file = tmp_path / "amocrm.tokens"
    auth = OAuthTokens(
        url=crm.url,
        client_id=crm.AMO_CLIENT_ID,
        client_secret=crm.AMO_CLIENT_SECRET,
        redirect_uri=crm.AMO_REDIRECT_URI,
        token_file=token_file,
        refresh_token=crm.amo_refresh_token,
    )
    client = AmoCrm(url=crm.url, auth=auth)

    assert client.lookup(ANNA, timeout=1.5) is not None
    crm.fail_next(401)
    assert client.lookup(ANNA, timeout=1.5) is not None

    assert [(r.path, r.status) for r in crm.requests] == [
        ("/oauth2/access_token", 200),
        ("/api/v4/contacts", 200),
        ("/api/v4/contacts", 401),
        ("/oauth2/access_token", 200),
        ("/api/v4/contacts", 200),
    ]
    stored = json.loads(token_file.read_text())
    assert (stored["access_token"], stored["refresh_token"]) == (
        crm.amo_token,
        crm.amo_refresh_token,
    )
    assert crm.amo_refresh_token == "amo-refresh-3"


def test_megaplan_logs_in_again_after_a_401(crm: CrmStandin) -> None:
    client = megaplan(crm)
    assert client.lookup(ANNA, timeout=1.5) is not None
    crm.fail_next(401)
    assert client.lookup(ANNA, timeout=1.5) is not None
    assert [(r.path, r.status) for r in crm.requests] == [
        ("/api/v3/auth/access_token", 200),
        ("/api/v3/callRoute", 200),
        ("/api/v3/callRoute", 401),
        ("/api/v3/auth/access_token", 200),
        ("/api/v3/callRoute", 200),
    ]


def test_a_bitrix24_401_is_auth(crm: CrmStandin) -> None:
    crm.fail_next(401)
    assert failure(bitrix24(crm)) == "auth"


def test_each_crm_too_busy_is_rate_limited(client: Client, crm: CrmStandin) -> None:
    crm.fail_next(429)
    assert failure(client) == "rate_limited"


@pytest.mark.timeout(10)  # closing the stand-in must cut its minute-long answer short
def test_each_crm_too_slow_is_a_timeout(client: Client, crm: CrmStandin) -> None:
    crm.slow = 60.0
    assert failure(client, timeout=0.2) == "timeout"


def test_each_crm_answering_garbage_is_bad_response(client: Client, crm: CrmStandin) -> None:
    crm.garbage_next()
    assert failure(client) == "bad_response"
