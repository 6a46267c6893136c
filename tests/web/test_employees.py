"""Set-up step 1 through its routes: an employee added, refused, edited by two admins at once."""

from __future__ import annotations

import re

from firmware.config import load_config
from tests.support.web import WebBox, field_errors, inputs, post_form

NEW = {
    "number": "106",
    "name": "Pavel Orlov",
    "role": "user",
    "device": "sip",
    "email": "pavel@office.example",
    "mobile": "+79161234567",
    "forward_after": "8",
    "allow": ["local", "mobile"],
}


def test_an_employee_is_added_with_a_password_shown_once_and_comments_kept(box: WebBox) -> None:
    admin = box.signed_in("admin")
    before = box.config_text()
    page = post_form(admin, "/setup/employees", "/setup/employees", NEW)
    assert page.status_code == 200, page.text
    shown = re.search(r'data-secret="SIP password">([^<]+)<', page.text)
    assert shown is not None
    extension = load_config(box.home.config).extension("106")
    assert extension is not None
    assert extension.password == shown.group(1)
    assert extension.forward_after == 8 and extension.mobile == "+79161234567"
    assert extension.outbound is not None and extension.outbound.allow == ["local", "mobile"]
    after = box.config_text()
    comments = [line for line in before.splitlines() if line.lstrip().startswith("#")]
    assert comments and all(line in after for line in comments)
    assert after.index('number = "106"') < after.index("# Operating modes")
    assert extension.password not in admin.get("/setup/employees").text


def test_bad_input_is_shown_next_to_its_field_and_changes_nothing(box: WebBox) -> None:
    admin = box.signed_in("admin")
    before = box.config_text()
    cases = {
        "number": ({**NEW, "number": "101"}, "101 is already extensions[1]"),
        "forward_after": ({**NEW, "forward_after": "soon"}, "'soon' is not a number of seconds"),
        "mobile": ({**NEW, "mobile": "call me"}, "does not match"),
        "name": ({**NEW, "name": ""}, "required"),
    }
    for name, (data, message) in cases.items():
        page = post_form(admin, "/setup/employees", "/setup/employees", data)
        assert page.status_code == 422, name
        errors = field_errors(page.text)
        assert any(f == name and message in m for f, m in errors), (name, errors)
        assert inputs(page.text)["name"] == data["name"], "the form keeps what was typed"
        assert box.config_text() == before
    huge = post_form(
        admin, "/setup/employees", "/setup/employees", {**NEW, "forward_after": "9999"}
    )
    assert ("forward_after", "Input should be less than or equal to 3600") in field_errors(
        huge.text
    )


def test_an_edit_keeps_the_entrys_other_keys_and_comments(box: WebBox) -> None:
    admin = box.signed_in("admin")
    page = post_form(
        admin,
        "/setup/employees/101",
        "/setup/employees/101",
        {
            "number": "101",
            "name": "Ivan P. Petrov",
            "role": "user",
            "device": "sip",
            "allow": ["local", "long_distance", "mobile", "service"],
        },
    )
    assert page.status_code == 200, page.text
    config = load_config(box.home.config)
    extension = config.extension("101")
    assert extension is not None and extension.name == "Ivan P. Petrov"
    assert extension.outbound is None, "the box's defaults are not copied into the entry"
    assert "# Reception (an admin) forces one" in box.config_text()


def test_two_admins_editing_at_once_do_not_overwrite_each_other(box: WebBox) -> None:
    first, second = box.signed_in("admin"), box.signed_in("admin")
    first_form = inputs(first.get("/setup/employees").text)
    second_form = inputs(second.get("/setup/employees").text)
    saved = first.post("/setup/employees", data={**first_form, **NEW})
    assert saved.status_code == 200
    stale = second.post(
        "/setup/employees",
        data={**second_form, **NEW, "number": "107", "name": "Late Writer"},
    )
    assert stale.status_code == 422
    assert "changed by someone else" in stale.text
    config = load_config(box.home.config)
    assert config.extension("106") is not None and config.extension("107") is None


def test_removing_an_employee_a_department_needs_is_refused_with_the_reason(box: WebBox) -> None:
    admin = box.signed_in("admin")
    before = box.config_text()
    page = post_form(admin, "/setup/employees/101", "/setup/employees/101/delete", {})
    assert page.status_code == 422
    assert "departments[0].members[0]" in page.text and "no extension 101" in page.text
    assert box.config_text() == before


def test_a_web_password_is_handed_out_once_and_opens_the_employees_pages(box: WebBox) -> None:
    admin = box.signed_in("admin")
    page = post_form(admin, "/setup/employees/103", "/setup/employees/103/web-password", {})
    shown = re.search(r'data-secret="web password">([^<]+)<', page.text)
    assert shown is not None
    assert box.web.accounts.check("103", shown.group(1))
