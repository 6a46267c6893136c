"""Set-up step 2 through its routes: a department with members in order and its queue."""

from __future__ import annotations

from firmware.config import load_config
from tests.support.web import WebBox, field_errors, post_form

NEW = {
    "number": "620",
    "name": "Accounts",
    "members": "103, 101",
    "strategy": "sequential",
    "step": "12",
    "ring_timeout": "30",
    "queue_enabled": "on",
    "queue_max_length": "4",
    "queue_max_wait": "300",
    "queue_announce_every": "40",
    "queue_announce_position": "on",
    "queue_offer_callback": "on",
    "queue_wrap_up": "10",
    "queue_service_level": "15",
    "queue_overflow": "voicemail:620",
}


def test_a_department_is_added_with_its_members_in_order(box: WebBox) -> None:
    admin = box.signed_in("admin")
    page = post_form(admin, "/setup/departments", "/setup/departments", NEW)
    assert page.status_code == 200, page.text
    department = load_config(box.home.config).department("620")
    assert department is not None
    assert department.members == ["103", "101"]
    assert department.strategy == "sequential" and department.step == 12
    assert department.queue.max_length == 4 and str(department.queue.overflow) == "voicemail:620"
    assert "offer_callback" not in box.config_text(), "defaults are not written out"
    assert "# one after another, 10 s each" in box.config_text()


def test_an_edit_changes_the_order_and_keeps_the_comment_on_its_line(box: WebBox) -> None:
    admin = box.signed_in("admin")
    data = {**NEW, "number": "600", "name": "Sales", "members": "102 101 103", "queue_overflow": ""}
    page = post_form(admin, "/setup/departments/600", "/setup/departments/600", data)
    assert page.status_code == 200, page.text
    department = load_config(box.home.config).department("600")
    assert department is not None and department.members == ["102", "101", "103"]
    assert department.step == 12
    assert "# one after another, 10 s each" in box.config_text()


def test_bad_departments_are_refused_next_to_the_field(box: WebBox) -> None:
    admin = box.signed_in("admin")
    before = box.config_text()
    cases = {
        "members": ({**NEW, "members": "101, 199"}, "no extension 199"),
        "number": ({**NEW, "number": "101"}, "101 is an extension"),
        "queue_max_length": ({**NEW, "queue_max_length": "1000"}, "less than or equal to 100"),
        "step": ({**NEW, "step": "-"}, "not a number of seconds"),
        "queue_overflow": ({**NEW, "queue_overflow": "nowhere"}, "is no target"),
    }
    for name, (data, message) in cases.items():
        page = post_form(admin, "/setup/departments", "/setup/departments", data)
        assert page.status_code == 422, name
        assert any(f == name and message in m for f, m in field_errors(page.text)), (
            name,
            field_errors(page.text),
        )
        assert box.config_text() == before
