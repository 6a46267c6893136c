"""Who may reach what: every route walked as nobody, as an employee and as the admin;
sign-in limits per source address; CSRF on every POST; secrets kept out of pages."""

from __future__ import annotations

import re
import stat

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from httpx import Response

from firmware.config import load_config
from tests.support.web import USER, USER_PASSWORD, WebBox, inputs, sign_in
from web_ui.paths import accounts_db, secret_file
from web_ui.server import announce_first_admin

#: Routes anyone may reach: the sign-in page itself and signing out.
PUBLIC = {("GET", "/login"), ("POST", "/login"), ("POST", "/logout"), ("GET", "/")}
#: Path prefixes of pages employees reach too (a recording only of their own calls:
#: tests/web/test_recordings.py); every other route is for admins.
EMPLOYEE = ("/me", "/recordings")


def routes(box: WebBox) -> list[tuple[str, str]]:
    found = []
    for route in box.app.routes:
        for api in getattr(getattr(route, "original_router", None), "routes", [route]):
            if isinstance(api, APIRoute):
                found += [(method, api.path) for method in sorted(api.methods)]
    return found


def concrete(path: str) -> str:
    return re.sub(r"\{[a-z_]+\}", lambda m: "1" if m.group() == "{message}" else "101", path)


def request(client: TestClient, method: str, path: str, csrf: str) -> Response:
    if method == "GET":
        return client.get(concrete(path))
    return client.post(concrete(path), data={"csrf": csrf, "version": "x"})


def test_every_route_is_guarded(box: WebBox) -> None:
    walked = routes(box)
    assert ("GET", "/setup/employees") in walked and len(walked) > 8
    nobody = box.client()
    nobody_csrf = inputs(nobody.get("/login").text)["csrf"]
    user = box.signed_in(USER)
    user_csrf = inputs(user.get("/login").text)["csrf"]
    for method, path in walked:
        if (method, path) in PUBLIC:
            continue
        answer = request(nobody, method, path, nobody_csrf)
        assert answer.status_code == 303, f"{method} {path} as nobody: {answer.status_code}"
        assert answer.headers["location"] == "/login"
        if not path.startswith(EMPLOYEE):
            answer = request(user, method, path, user_csrf)
            assert answer.status_code == 403, f"{method} {path} as an employee"
            assert "for administrators" in answer.text, f"{method} {path} as an employee"


def test_anonymous_is_sent_to_sign_in(box: WebBox) -> None:
    answer = box.client().get("/setup/employees")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"


def test_user_cannot_reach_admin_pages(box: WebBox) -> None:
    user = box.signed_in(USER)
    answer = user.get("/setup/employees")
    assert answer.status_code == 403
    assert "Reception" not in answer.text


def test_sign_in_is_limited_per_source_address(box: WebBox) -> None:
    client = box.client()
    for _ in range(5):
        assert sign_in(client, USER, "wrong password!").status_code == 401
    refused = sign_in(client, USER, USER_PASSWORD)
    assert refused.status_code == 429
    assert "Too many failed attempts" in refused.text
    assert (
        "login" not in client.cookies.get("minipbx_session", "")
        or box.client().get("/me").status_code == 303
    )
    box.clock.now += 299
    assert sign_in(client, USER, USER_PASSWORD).status_code == 429
    box.clock.now += 2
    assert sign_in(client, USER, USER_PASSWORD).status_code == 303


def test_the_sip_password_does_not_open_the_web_ui(box: WebBox) -> None:
    sip_password = load_config(box.home.config).extension(USER)
    assert sip_password is not None
    assert sign_in(box.client(), USER, sip_password.password).status_code == 401


def test_an_employee_without_a_web_password_cannot_sign_in(box: WebBox) -> None:
    assert sign_in(box.client(), "101", "").status_code == 401


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(box: WebBox) -> None:
    admin = box.signed_in("admin")
    before = box.config_text()
    version = inputs(admin.get("/setup/employees").text)["version"]
    data = {
        "number": "150",
        "name": "Mallory",
        "role": "admin",
        "device": "sip",
        "version": version,
    }
    assert admin.post("/setup/employees", data=data).status_code == 403
    assert admin.post("/setup/employees", data={**data, "csrf": "forged"}).status_code == 403
    assert box.config_text() == before


def test_a_tampered_session_cookie_signs_nobody_in(box: WebBox) -> None:
    admin = box.signed_in("admin")
    cookie = admin.cookies["minipbx_session"]
    forged = box.client()
    forged.cookies.set("minipbx_session", cookie[:-3] + ("AAA" if cookie[-3:] != "AAA" else "BBB"))
    assert forged.get("/setup/employees").status_code == 303


def test_first_admin_password_is_made_once_and_stored_hashed(
    box: WebBox, capsys: pytest.CaptureFixture[str]
) -> None:
    assert box.web.accounts.create_admin_if_missing() is None
    assert box.admin_password.encode() not in accounts_db(box.home).read_bytes()
    fresh = WebBox(box.root.parent / "fresh", make_admin=False)
    assert sign_in(fresh.client(), "admin", "").status_code == 401
    announce_first_admin(fresh.home)
    printed = capsys.readouterr().err
    password = re.search(r"password: (\S+)", printed)
    assert password is not None
    assert sign_in(fresh.client(), "admin", password.group(1)).status_code == 303
    announce_first_admin(fresh.home)
    assert "password" not in capsys.readouterr().err


def test_the_box_keeps_its_web_secrets_private(box: WebBox) -> None:
    for path in (secret_file(box.home), accounts_db(box.home)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(secret_file(box.home).parent.stat().st_mode) == 0o700


def test_pages_never_show_sip_passwords(box: WebBox) -> None:
    admin = box.signed_in("admin")
    config = load_config(box.home.config)
    pages = [admin.get("/setup/employees").text]
    pages += [admin.get(f"/setup/employees/{e.number}").text for e in config.extensions]
    for extension in config.extensions:
        assert all(extension.password not in page for page in pages), extension.number


def test_pages_cannot_be_framed_or_run_scripts_from_elsewhere(box: WebBox) -> None:
    page = box.signed_in("admin").get("/setup/employees")
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "default-src 'self'" in page.headers["content-security-policy"]
