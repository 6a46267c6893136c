"""The SIP provider stand-in on its own: trunk tests can only trust it once it is proved.

Every test runs against a provider on 127.0.0.1 and on 127.0.0.3: on the
second the box sees calls come from an address other than its own, as it
will from a real provider.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from firmware.sipedge.probe import options_ping
from tests.support import sipp
from tests.support.net import free_port
from tests.support.phone import Phone
from tests.support.provider import Provider

pytestmark = pytest.mark.sip

MOBILE, LANDLINE = "79161234567", "74957654321"
CUSTOMER, IDLE_CUSTOMER = "customer1", "customer2"
DID, IDLE_DID = "74951110000", "74951110001"
ACCOUNTS = {
    MOBILE: "Mobile-Secret-1",
    LANDLINE: "Landline-Secret-1",
    CUSTOMER: "Trunk-Secret-1",
    IDLE_CUSTOMER: "Trunk-Secret-2",
}
DIDS = {DID: CUSTOMER, IDLE_DID: IDLE_CUSTOMER}
CALLER_TONE, CALLEE_TONE = 700, 1100

ProviderFactory = Callable[..., Provider]


@pytest.fixture(params=["127.0.0.1", "127.0.0.3"])
def address(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def make_provider(provider_factory: ProviderFactory, address: str) -> ProviderFactory:
    def make(**options: object) -> Provider:
        return provider_factory(
            accounts=dict(ACCOUNTS), dids=dict(DIDS), address=address, **options
        )

    return make


@pytest.fixture
def provider(make_provider: ProviderFactory) -> Provider:
    return make_provider()


def outside_phone(phone_factory: Callable[[str], Phone], provider: Provider, user: str) -> Phone:
    phone = phone_factory(f"p{user}")
    phone.register(provider, user)
    return phone


def talk(caller: Phone, callee: Phone, uri: str) -> tuple[int, int, dict]:
    """Places a call, answers it and proves audio both ways; returns handles and the INVITE."""
    caller.play(CALLER_TONE)
    callee.play(CALLEE_TONE)
    out = caller.call(uri)
    incoming = callee.wait_event("incoming")
    callee.answer(incoming["call"])
    caller.wait_state(out, "confirmed")
    caller.wait_heard(CALLEE_TONE, out)
    callee.wait_heard(CALLER_TONE, incoming["call"])
    return out, incoming["call"], incoming


def hang_up(caller: Phone, out: int, callee: Phone, inc: int) -> None:
    caller.hangup(out)
    callee.wait_state(inc, "disconnected")


def test_two_provider_phones_talk_with_audio_both_ways(provider: Provider, phone_factory) -> None:
    mobile = outside_phone(phone_factory, provider, MOBILE)
    landline = outside_phone(phone_factory, provider, LANDLINE)
    assert any(f":{landline.port}" in c for c in provider.wait_registered(LANDLINE))
    out, inc, invite = talk(mobile, landline, f"sip:{LANDLINE}@{provider.domain}")
    assert invite["from_user"] == MOBILE
    assert not mobile.heard(CALLER_TONE, out) and not landline.heard(CALLEE_TONE, inc)
    hang_up(mobile, out, landline, inc)


def test_wait_registered_follows_a_registration_and_its_end(
    provider: Provider, phone_factory
) -> None:
    assert provider.contacts(CUSTOMER) == []
    pbx = phone_factory("pbx")
    pbx.send(
        "register",
        server=provider.server,
        user=CUSTOMER,
        password=ACCOUNTS[CUSTOMER],
        domain=provider.domain,
        transport="tcp",
    )
    [contact] = provider.wait_registered(CUSTOMER)
    assert contact.startswith(f"sip:{CUSTOMER}@127.0.0.1:") and "transport=tcp" in contact.lower()
    pbx.unregister()
    provider.wait_unregistered(CUSTOMER)


def test_a_wrong_password_is_refused(provider: Provider, phone_factory) -> None:
    phone = phone_factory("intruder")
    phone.send(
        "register",
        server=provider.server,
        user=MOBILE,
        password="Wrong-Password-1",
        domain=provider.domain,
    )
    outcome = phone.wait_registration()
    assert (outcome["event"], outcome["code"]) == ("registration_failed", 401)
    assert provider.contacts(MOBILE) == []


def test_an_invite_without_credentials_is_challenged_and_refused(
    provider: Provider, phone_factory
) -> None:
    outside_phone(phone_factory, provider, LANDLINE)
    stranger = phone_factory("stranger")
    stranger.account_without_registration(provider.server, MOBILE, domain=provider.domain)
    out = stranger.call(f"sip:{LANDLINE}@{provider.domain}")
    assert stranger.wait_state(out, "disconnected")["code"] == 407


def test_a_did_rings_the_customer_account_it_belongs_to(provider: Provider, phone_factory) -> None:
    mobile = outside_phone(phone_factory, provider, MOBILE)
    pbx = outside_phone(phone_factory, provider, CUSTOMER)
    out, inc, invite = talk(mobile, pbx, f"sip:{DID}@{provider.domain}")
    assert f"sip:{DID}@{provider.domain}" in invite["to_uri"]
    assert invite["headers"]["x-provider-did"] == DID
    # The request URI is the contact the customer registered.
    assert invite["request_uri"].startswith(f"sip:{CUSTOMER}@127.0.0.1:{pbx.port}")
    assert invite["from_user"] == MOBILE
    # It comes from the provider's own address (127.0.0.3 too), as a real trunk's calls do.
    assert invite["headers"]["via"].startswith(f"SIP/2.0/UDP {provider.server};")
    hang_up(pbx, inc, mobile, out)


def test_a_provider_may_put_the_did_in_the_request_uri(
    make_provider: ProviderFactory, phone_factory
) -> None:
    provider = make_provider(did_in_request_uri=True)
    mobile = outside_phone(phone_factory, provider, MOBILE)
    pbx = outside_phone(phone_factory, provider, CUSTOMER)
    mobile.call(f"sip:{DID}@{provider.domain}")
    invite = pbx.wait_event("incoming")
    assert invite["request_uri"].startswith(f"sip:{DID}@127.0.0.1:{pbx.port}")
    assert invite["headers"]["x-provider-did"] == DID


def test_a_did_whose_customer_is_not_registered_gives_480(
    provider: Provider, phone_factory
) -> None:
    mobile = outside_phone(phone_factory, provider, MOBILE)
    out = mobile.call(f"sip:{IDLE_DID}@{provider.domain}")
    assert mobile.wait_state(out, "disconnected")["code"] == 480


def test_an_unregistered_provider_phone_gives_480_and_an_unknown_number_404(
    provider: Provider, phone_factory
) -> None:
    mobile = outside_phone(phone_factory, provider, MOBILE)
    out = mobile.call(f"sip:{LANDLINE}@{provider.domain}")
    assert mobile.wait_state(out, "disconnected")["code"] == 480
    out = mobile.call(f"sip:74990000000@{provider.domain}")
    assert mobile.wait_state(out, "disconnected")["code"] == 404


def test_options_ping_is_answered_without_auth(provider: Provider) -> None:
    assert options_ping(provider.address, provider.port) == 200


def test_a_pbx_sends_its_caller_id_in_from_and_authenticates_as_its_account(
    provider: Provider, phone_factory, tmp_path: Path
) -> None:
    """sipp, not pjsua2, and a From user that is not the auth user, as a PBX's trunk sends."""
    mobile = outside_phone(phone_factory, provider, MOBILE)
    mobile.auto_answer(200)
    caller = sipp.authenticated_caller(
        server=provider.server,
        accounts={CUSTOMER: ACCOUNTS[CUSTOMER]},
        caller_id=DID,
        callee=MOBILE,
        local_port=free_port(),
        media_port=free_port(),
        hold_ms=2000,
        cwd=tmp_path,
        media=sipp.tone_file(tmp_path, 1000),
        extra=["-m", "1"],
    )
    invite = mobile.wait_event("incoming")
    assert invite["from_user"] == DID
    mobile.wait_heard(1000, invite["call"])
    mobile.wait_state(invite["call"], "disconnected", timeout=10)
    assert sipp.stop(caller) == 0, caller.stderr.read() if caller.stderr else ""
    assert f"authenticated as {CUSTOMER}, From {DID}" in provider.log_tail(200)


def test_an_ip_authenticated_customer_calls_without_digest(
    make_provider: ProviderFactory, phone_factory
) -> None:
    pbx = phone_factory("pbx")
    provider = make_provider(trusted=f"127.0.0.1:{pbx.port}")
    mobile = outside_phone(phone_factory, provider, MOBILE)
    pbx.account_without_registration(provider.server, DID, domain=provider.domain)
    out, inc, invite = talk(pbx, mobile, f"sip:{MOBILE}@{provider.domain}")
    assert invite["from_user"] == DID
    hang_up(pbx, out, mobile, inc)
    # The same trust does not extend to another port of the same address.
    stranger = phone_factory("stranger")
    stranger.account_without_registration(provider.server, DID, domain=provider.domain)
    out = stranger.call(f"sip:{MOBILE}@{provider.domain}")
    assert stranger.wait_state(out, "disconnected")["code"] == 407
