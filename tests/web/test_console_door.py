"""The console's "open the door" click, through the routes: admins only, CSRF, a door of
this office only, and in the name of the receptionist's phone.
(The relay and the openings log on a running box are tests/sip/test_web_console_door.py.)"""

from __future__ import annotations

import pytest

from tests.support.web import WebBox, inputs

DOOR = """
[[extensions]]
number = "190"
name = "Front door"
role = "user"
password = "Door-Secret-xyz-1"

[[doors]]
name = "front"
station = "190"
ring = "extension:100"
relay = "door1"
"""


@pytest.fixture
def door_box(box: WebBox) -> WebBox:
    with box.home.config.open("a", encoding="utf-8") as out:
        out.write(DOOR)
    return box


def test_an_employee_cannot_open_a_door_from_the_console(door_box: WebBox) -> None:
    user = door_box.signed_in("102")
    csrf = inputs(user.get("/me").text)["csrf"]
    refused = user.post("/console/door", data={"door": "front"}, headers={"x-csrf-token": csrf})
    assert refused.status_code == 403


def test_a_door_click_without_the_csrf_token_is_refused(door_box: WebBox) -> None:
    admin = door_box.signed_in("admin")
    admin.get("/console")
    assert admin.post("/console/door", data={"door": "front"}).status_code == 403
    forged = admin.post("/console/door", data={"door": "front"}, headers={"x-csrf-token": "x"})
    assert forged.status_code == 403


def test_only_a_door_of_this_office_is_opened_and_on_the_receptionists_phone(
    door_box: WebBox,
) -> None:
    admin = door_box.signed_in("admin")
    csrf = inputs(admin.get("/console").text)["csrf"]
    headers = {"x-csrf-token": csrf}
    bad = admin.post("/console/door", data={"door": "back"}, headers=headers)
    assert bad.status_code == 200
    assert "&#39;back&#39; is no door of this office: nothing opened" in bad.text
    no_phone = admin.post("/console/door", data={"door": "front"}, headers=headers)
    assert "Choose your phone first" in no_phone.text
    admin.post("/console/phone", data={"phone": "100"}, headers=headers)
    asked = admin.post("/console/door", data={"door": "front"}, headers=headers)
    assert "the engine does not answer" in asked.text, "a known door is the engine's to open"
