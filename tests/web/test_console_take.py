"""Which phone the console's "answer on my phone" and "pick up" ring, through the routes.
(The calls themselves, with audio, are tests/sip/test_web_console_take.py.)"""

from __future__ import annotations

from tests.support.web import WebBox, inputs, sign_in


def test_an_admin_employee_answers_on_their_own_extension_by_default(box: WebBox) -> None:
    box.web.accounts.set_password("100", "Reception-pass-1")
    reception = box.client()
    assert sign_in(reception, "100", "Reception-pass-1").status_code == 303
    page = reception.get("/console").text
    assert inputs(page)["phone"] == "100"
    csrf = inputs(page)["csrf"]
    answered = reception.post(
        "/console/answer", data={"record": "7"}, headers={"x-csrf-token": csrf}
    )
    assert "the engine does not answer" in answered.text, "it asked the engine for 100"


def test_the_admin_account_chooses_a_phone_first_and_only_an_extension(box: WebBox) -> None:
    admin = box.signed_in("admin")
    csrf = inputs(admin.get("/console").text)["csrf"]
    headers = {"x-csrf-token": csrf}
    first = admin.post("/console/pickup", data={"extension": "102"}, headers=headers)
    assert "Choose your phone first" in first.text
    bad = admin.post("/console/phone", data={"phone": "999"}, headers=headers)
    assert "&#39;999&#39; is no extension" in bad.text
    assert inputs(admin.get("/console").text)["phone"] == ""
    chosen = admin.post("/console/phone", data={"phone": "104"}, headers=headers)
    assert "Calls you take ring extension 104" in chosen.text
    assert inputs(admin.get("/console").text)["phone"] == "104"
    not_a_call = admin.post("/console/answer", data={"record": "x"}, headers=headers)
    assert "&#39;x&#39; is not a call" in not_a_call.text


def test_an_employee_cannot_take_calls_from_the_console(box: WebBox) -> None:
    user = box.signed_in("102")
    csrf = inputs(user.get("/me").text)["csrf"]
    for path, data in (
        ("/console/answer", {"record": "1"}),
        ("/console/pickup", {"extension": "101"}),
    ):
        assert user.post(path, data=data, headers={"x-csrf-token": csrf}).status_code == 403
