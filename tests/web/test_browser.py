"""The web UI in a real browser (Debian's chromium driven by Playwright) over a real box.

An admin signs in, adds an employee, a department and a scenario ringing it, and gives
the office number to that scenario; a call from outside (the provider stand-in) then
rings the new employee's phone with audio both ways. The console shows the call appear
live and a click parks it; the reports show what that call must produce. Screenshots of
the main pages are kept in $MINIPBX_WEB_SCREENSHOTS (or the test's tmp directory).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.sip.test_hold import hears_music
from tests.sip.test_trunks import ACCOUNTS, MOBILE, TRUNK_USER, trunk_toml, wait_trunk
from tests.support.box import Box
from tests.support.phone import Phone
from tests.support.provider import Provider
from tests.support.web import USER, USER_PASSWORD, WebBox
from tests.support.web_server import served

pytestmark = pytest.mark.sip

CHROMIUM = Path("/usr/bin/chromium")
CUSTOMER_TONE, NINA_TONE, RECEPTION_TONE = 700, 1100, 1300
#: Calls to the office number are recorded, so the history has a recording to play.
RECORDED = '\n[recording]\nnumbers = ["+7 495 111-00-00"]\n'


@pytest.fixture
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("chromium is missing: ./build.sh setup installs it")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    where = Path(os.environ.get("MINIPBX_WEB_SCREENSHOTS") or tmp_path / "screenshots")
    where.mkdir(parents=True, exist_ok=True)
    return where


def shot(page: Page, where: Path, name: str) -> None:
    page.screenshot(path=str(where / f"{name}.png"), full_page=True)


def test_an_admin_sets_up_a_department_and_a_call_rings_it_and_is_parked_from_the_console(
    box_factory: Callable[..., Box],
    provider_factory: Callable[..., Provider],
    phone_factory: Callable[[str], Phone],
    browser: Browser,
    screenshots: Path,
) -> None:
    provider = provider_factory(
        accounts=dict(ACCOUNTS), dids={TRUNK_USER: TRUNK_USER}, address="127.0.0.3"
    )
    box = box_factory(extra=trunk_toml(provider) + RECORDED)
    wait_trunk(box, up=True)
    web = WebBox(box.root)
    with served(web.app) as url:
        page = browser.new_page(base_url=url, viewport={"width": 1280, "height": 900})
        page.goto("/login")
        shot(page, screenshots, "sign-in")
        page.fill("input[name=login]", "admin")
        page.fill("input[name=password]", web.admin_password)
        page.click("form button:has-text('Sign in')")
        expect(page.locator("h1")).to_have_text("Operator console")

        page.goto("/setup/employees")
        form = page.locator("#employee-form")
        form.locator("input[name=number]").fill("104")
        form.locator("input[name=name]").fill("Nina Volkova")
        form.locator("input[name=forward_after]").fill("8")
        form.locator("button", has_text="Add employee").click()
        secret = page.locator('[data-secret="SIP password"]')
        expect(secret).to_be_visible()
        sip_password = secret.inner_text()
        shot(page, screenshots, "employees")

        page.goto("/setup/departments")
        form = page.locator("#department-form")
        form.locator("input[name=number]").fill("600")
        form.locator("input[name=name]").fill("Sales")
        form.locator("input[name=members]").fill("104")
        form.locator("button", has_text="Add department").click()
        expect(page.locator(".flash")).to_contain_text("Saved and applied: department 600")
        shot(page, screenshots, "departments")

        page.goto("/setup/scenarios/new")
        form = page.locator("#scenario-form")
        form.locator("input[name=name]").fill("sales")
        form.locator("select[name=kind]").select_option("dial")
        form.locator("input[name=value]").fill("department:600")
        form.locator("input[name=ring]").fill("20")
        form.locator("button", has_text="Save scenario").click()
        expect(page.locator(".flash")).to_contain_text("Saved and applied: scenario sales")
        shot(page, screenshots, "scenario")

        page.goto("/setup/trunks")
        expect(page.locator('[data-trunk="city"] [data-state]')).to_have_text("up")
        expect(page.locator('[data-trunk="city"] [data-busy]')).to_have_text("0 of 2")
        shot(page, screenshots, "trunks")
        page.goto("/setup/modes")
        page.locator("#mode-now button", has_text="force lunch").click()
        expect(page.locator(".flash")).to_have_text("Mode now: lunch.")
        expect(page.locator("[data-mode]")).to_have_text("lunch")
        page.locator("#mode-now button", has_text="back to the schedule").click()
        shot(page, screenshots, "modes")
        page.goto("/setup/prompts")
        upload = page.locator("#prompt-upload")
        upload.locator("input[name=name]").fill("welcome")
        upload.locator("input[name=file]").set_input_files(
            files=[{"name": "welcome.mp3", "mimeType": "audio/mpeg", "buffer": b"ID3" + bytes(64)}]
        )
        upload.locator("button", has_text="Upload").click()
        expect(page.locator("#prompt-error")).to_contain_text("welcome.mp3: not a WAV file")
        shot(page, screenshots, "prompts")
        for name in ("icm", "hardware"):
            page.goto(f"/setup/{name}")
            shot(page, screenshots, name)

        page.goto("/setup/numbers/0")
        form = page.locator("#number-form")
        form.locator("input[name=routing][value=scenario]").check()
        form.locator("select[name=scenario]").select_option("sales")
        form.locator("button", has_text="Save").click()
        expect(page.locator(".flash")).to_contain_text("Saved and applied: number")
        shot(page, screenshots, "numbers")

        nina = phone_factory("ext104")
        nina.register(box, "104", sip_password)
        nina.play(NINA_TONE)
        customer = phone_factory("customer")
        customer.register(provider, MOBILE)
        customer.play(CUSTOMER_TONE)
        page.goto("/console")
        out = customer.call(f"sip:{TRUNK_USER}@{provider.domain}")
        ringing = nina.wait_event("incoming", timeout=10)
        nina.answer(ringing["call"])
        customer.wait_heard(NINA_TONE, out)
        nina.wait_heard(CUSTOMER_TONE, ringing["call"])

        park = page.locator("[data-park]")
        expect(park).to_be_visible(timeout=10000)
        expect(page.locator('[data-extension="104"] .pill')).to_have_text("busy")
        shot(page, screenshots, "console-call")
        park.click()
        expect(page.locator("#console-note-text")).to_contain_text("Call parked on line 1")
        hears_music(customer, out)
        nina.wait_state(ringing["call"], "disconnected")
        expect(page.locator('[data-slot="1"]')).to_contain_text("line 1")
        shot(page, screenshots, "console-parked")
        customer.hangup(out)
        customer.wait_state(out, "disconnected")
        expect(page.locator("#live-calls")).to_contain_text("No call in progress", timeout=10000)

        box.closed_calls(1)
        page.goto("/reports/scenarios")
        row = page.locator('tr[data-scenario="sales"]')
        expect(row.locator('[data-figure="total"]')).to_have_text("1")
        expect(row.locator('[data-figure="completed"]')).to_have_text("1")
        expect(row.locator('[data-figure="no_talk"]')).to_have_text("0")
        shot(page, screenshots, "report-scenarios")
        page.goto("/reports/calls")
        expect(page.locator("#calls")).to_contain_text(MOBILE)
        shot(page, screenshots, "report-calls")
        page.locator("[data-recorded]").first.click()
        player = page.locator("#recording audio")
        expect(player).to_be_visible()
        recording = page.request.get(str(player.get_attribute("src")))
        assert recording.ok and recording.body()[:4] == b"RIFF"
        shot(page, screenshots, "report-call-recording")

        # A second call rings Nina, and the console's "Pick up" takes it on reception's phone.
        reception = phone_factory("ext100")
        reception.register(box, "100")
        reception.play(RECEPTION_TONE)
        page.goto("/console")
        page.locator("#my-phone input[name=phone]").fill("100")
        page.locator("#my-phone button").click()
        expect(page.locator("#console-note-text")).to_contain_text("ring extension 100")
        again = customer.call(f"sip:{TRUNK_USER}@{provider.domain}")
        rung = nina.wait_event("incoming", timeout=10)
        page.locator('[data-pickup="104"]').click()
        expect(page.locator("#console-note-text")).to_contain_text("rings your phone (100)")
        offered = reception.wait_event("incoming", timeout=10)
        reception.answer(offered["call"])
        customer.wait_heard(RECEPTION_TONE, again)
        reception.wait_heard(CUSTOMER_TONE, offered["call"])
        nina.wait_state(rung["call"], "disconnected")
        expect(page.locator('[data-extension="100"] .pill')).to_have_text("busy")
        shot(page, screenshots, "console-picked-up")
        customer.hangup(again)
        reception.wait_state(offered["call"], "disconnected")
        page.click("header button:has-text('Sign out')")

        page.fill("input[name=login]", USER)
        page.fill("input[name=password]", USER_PASSWORD)
        page.click("form button:has-text('Sign in')")
        expect(page.locator("h1")).to_contain_text(f"extension {USER}")
        shot(page, screenshots, "my-calls")
        assert page.goto("/setup/employees").status == 403
        page.close()
