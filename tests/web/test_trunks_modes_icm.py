"""Set-up pages made from the schema: trunks (the password write-only), modes and holidays,
ICM (sources in order, CRM secrets write-only). Each save changes only what was changed."""

from __future__ import annotations

from datetime import date

from firmware.config import load_config
from tests.support.web import WebBox, field_errors, form_fields, inputs, post_form


def _form(page: str, form_id: str) -> dict[str, str]:
    """What the form posts back unchanged, without its csrf and version (post_form adds them)."""
    return {k: v for k, v in form_fields(page, form_id).items() if k not in ("csrf", "version")}


def test_a_trunk_edit_keeps_its_password_and_never_shows_it(box: WebBox) -> None:
    admin = box.signed_in("admin")
    page = admin.get("/setup/trunks/city").text
    assert "Trunk-pass-123" not in page
    assert 'data-trunk="city"' in page and "unknown" in page, "no engine: live state unknown"
    data = {**_form(page, "trunk-form"), "channels": "4"}
    saved = post_form(admin, "/setup/trunks/city", "/setup/trunks/city", data)
    assert saved.status_code == 200, saved.text
    trunk = load_config(box.home.config).trunks[0]
    assert trunk.channels == 4 and trunk.password == "Trunk-pass-123"
    assert "Trunk-pass-123" not in saved.text
    assert 'number = "+7 495 111-00-00"   # the office number' in box.config_text()
    assert "register_interval" not in box.config_text(), "untouched keys are not written"

    replaced = post_form(
        admin, "/setup/trunks/city", "/setup/trunks/city", {**data, "password": "New-pass-456"}
    )
    assert replaced.status_code == 200
    assert load_config(box.home.config).trunks[0].password == "New-pass-456"


def test_a_bad_trunk_is_refused_next_to_the_field_and_changes_nothing(box: WebBox) -> None:
    admin = box.signed_in("admin")
    before = box.config_text()
    data = _form(admin.get("/setup/trunks/city").text, "trunk-form")
    cases = {
        "channels": ("500", "less than or equal to 120"),
        "options_interval": ("often", "'often' is not a number of seconds"),
        "username": ("a b", "does not match the expected form"),
    }
    for name, (value, message) in cases.items():
        page = post_form(admin, "/setup/trunks/city", "/setup/trunks/city", {**data, name: value})
        assert page.status_code == 422, name
        assert any(f == name and message in m for f, m in field_errors(page.text)), (
            name,
            field_errors(page.text),
        )
        assert box.config_text() == before
    new = post_form(admin, "/setup/trunks", "/setup/trunks", {"name": "second", "kind": "sip"})
    assert ("password", "required key is missing") in field_errors(new.text)
    assert box.config_text() == before


def test_modes_holidays_and_the_schedule_are_saved_with_comments_kept(box: WebBox) -> None:
    admin = box.signed_in("admin")
    page = admin.get("/setup/modes").text
    data = {
        **_form(page, "modes-form"),
        "holidays": "2027-01-01, 2027-01-07",
        "schedule_0_end": "19:00",
        "schedule_2_mode": "day",
        "schedule_2_days": "sat",
        "schedule_2_start": "10:00",
        "schedule_2_end": "14:00",
    }
    saved = post_form(admin, "/setup/modes", "/setup/modes", data)
    assert saved.status_code == 200, saved.text
    modes = load_config(box.home.config).modes
    assert modes.holidays == [date(2027, 1, 1), date(2027, 1, 7)]
    assert [(p.mode, p.days, p.start, p.end) for p in modes.schedule] == [
        ("day", "mon-fri", "09:00", "19:00"),
        ("lunch", "mon-fri", "13:00", "14:00"),
        ("day", "sat", "10:00", "14:00"),
    ]
    assert "# Reception (an admin) forces one with *801" in box.config_text()
    removed = post_form(admin, "/setup/modes", "/setup/modes", {**data, "schedule_1_mode": ""})
    assert removed.status_code == 200
    assert [p.mode for p in load_config(box.home.config).modes.schedule] == ["day", "day"]


def test_bad_modes_are_refused_and_change_nothing(box: WebBox) -> None:
    admin = box.signed_in("admin")
    before = box.config_text()
    data = _form(admin.get("/setup/modes").text, "modes-form")
    bad_date = post_form(admin, "/setup/modes", "/setup/modes", {**data, "holidays": "1 May"})
    assert ("holidays", "dates are written YYYY-MM-DD, separated by commas") in field_errors(
        bad_date.text
    )
    late = post_form(admin, "/setup/modes", "/setup/modes", {**data, "schedule_0_end": "08:00"})
    assert late.status_code == 422
    assert "modes.schedule[0]: start 09:00 must be before end 08:00" in late.text
    assert inputs(late.text)["schedule_0_end"] == "08:00", "the form keeps what was typed"
    assert box.config_text() == before
    forced = post_form(admin, "/setup/modes", "/setup/modes/force", {"mode": "night"})
    assert "Not forced: the engine does not answer" in forced.text


def test_icm_sources_in_order_and_a_crm_secret_that_is_never_shown(box: WebBox) -> None:
    admin = box.signed_in("admin")
    page = admin.get("/setup/icm").text
    webhook = "https://portal.example/rest/7/s3cr3tc0de/"
    data = {
        **_form(page, "icm-form"),
        "source_history": "on",
        "order_history": "2",
        "source_bitrix24": "on",
        "order_bitrix24": "1",
        "ring_mobile": "on",
        "bitrix24_webhook": webhook,
        "bitrix24_users": "7=102",
    }
    saved = post_form(admin, "/setup/icm", "/setup/icm", data)
    assert saved.status_code == 200, saved.text
    icm = load_config(box.home.config).icm
    assert icm is not None and icm.sources == ["bitrix24", "history"]
    assert icm.ring_mobile and icm.exceptions == ["100"]
    assert icm.bitrix24 is not None and icm.bitrix24.users == {"7": "102"}
    assert "s3cr3tc0de" not in saved.text and "s3cr3tc0de" not in admin.get("/setup/icm").text
    assert "# reception is never anybody&#39;s manager" not in saved.text
    assert "# reception is never anybody's manager" in box.config_text()

    again = {
        **_form(admin.get("/setup/icm").text, "icm-form"),
        "source_bitrix24": "on",
        "order_bitrix24": "1",
    }
    again.update(source_history="on", ring_mobile="on", timeout="2")
    kept = post_form(admin, "/setup/icm", "/setup/icm", again)
    assert kept.status_code == 200, kept.text
    icm = load_config(box.home.config).icm
    assert icm is not None and icm.timeout == 2
    assert icm.bitrix24 is not None and icm.bitrix24.webhook is not None
    assert icm.bitrix24.webhook.get_secret_value() == webhook, "an empty secret field keeps it"


def test_bad_icm_input_is_refused_with_the_reason(box: WebBox) -> None:
    admin = box.signed_in("admin")
    before = box.config_text()
    data = {**_form(admin.get("/setup/icm").text, "icm-form"), "source_history": "on"}
    cases = [
        ({"exceptions": "100, 1"}, ("exceptions", "does not match the expected form")),
        ({"default": "nowhere"}, ("default", "is no target")),
        ({"amocrm_url": "https://x.amocrm.ru"}, None),
    ]
    for change, expected in cases:
        page = post_form(admin, "/setup/icm", "/setup/icm", {**data, **change})
        assert page.status_code == 422, change
        if expected is None:
            assert "icm.amocrm: give token or token_file" in page.text
        else:
            assert any(f == expected[0] and expected[1] in m for f, m in field_errors(page.text))
        assert box.config_text() == before
