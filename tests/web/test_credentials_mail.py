"""A new employee with an email gets their generated credentials by mail, through a real SMTP
server on loopback (aiosmtpd); the password is never in the log."""

from __future__ import annotations

import email
import email.policy
import logging
import re
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from tests.support.net import free_port
from tests.support.web import WebBox, post_form
from tests.unit.test_mailer import Inbox

NEW = {"number": "106", "name": "Pavel Orlov", "role": "user", "device": "sip"}


@pytest.fixture
def inbox(box: WebBox) -> Iterator[Inbox]:
    """A relay on loopback, named in the box's [voicemail] section."""
    received = Inbox()
    controller = Controller(received, hostname="127.0.0.1", port=free_port("tcp"))
    controller.start()
    with box.home.config.open("a", encoding="utf-8") as out:
        out.write(f'\n[voicemail]\nsmtp_port = {controller.port}\nemail_from = "pbx@office.ru"\n')
    yield received
    controller.stop()


def shown_secret(page: str, what: str) -> str:
    found = re.search(rf'data-secret="{what}">([^<]+)<', page)
    assert found is not None, page
    return found.group(1)


def test_a_new_employee_with_an_email_gets_the_sip_account_by_mail(
    box: WebBox, inbox: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    admin = box.signed_in("admin")
    data = {**NEW, "email": "pavel@office.example"}
    page = post_form(admin, "/setup/employees", "/setup/employees", data)
    assert page.status_code == 200, page.text
    assert "They were mailed to pavel@office.example." in page.text
    password = shown_secret(page.text, "SIP password")
    envelope, mail = inbox.only()
    assert envelope.rcpt_tos == ["pavel@office.example"]
    assert envelope.mail_from == "pbx@office.ru"
    body = mail.get_content()
    assert f"Пароль: {password}\n" in body and "Имя пользователя и логин: 106" in body
    assert "Домен: pbx.local" in body
    assert password not in caplog.text
    assert "credentials for 106 mailed to pavel@office.example" in caplog.text

    again = post_form(admin, "/setup/employees/106", "/setup/employees/106/web-password", {})
    web_password = shown_secret(again.text, "web password")
    assert box.web.accounts.check("106", web_password)
    second = email.message_from_bytes(inbox.envelopes[-1].content, policy=email.policy.default)
    assert isinstance(second, EmailMessage)
    assert f"паролем {web_password}\n" in second.get_content()
    assert web_password not in caplog.text


def test_no_email_no_mail_and_a_relay_that_is_down_is_said_on_the_page(
    box: WebBox, inbox: Inbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    admin = box.signed_in("admin")
    quiet = post_form(admin, "/setup/employees", "/setup/employees", NEW)
    assert "mailed" not in quiet.text and inbox.envelopes == []
    text = box.config_text().replace("smtp_port = ", "smtp_port = 1 # was ")
    box.home.config.write_text(text, encoding="utf-8")
    data = {**NEW, "number": "107", "email": "lena@office.example"}
    page = post_form(admin, "/setup/employees", "/setup/employees", data)
    assert page.status_code == 200, "the employee is saved even when the mail is not"
    assert "They could not be mailed to lena@office.example: the relay 127.0.0.1:1" in page.text
    assert shown_secret(page.text, "SIP password") not in caplog.text
    assert inbox.envelopes == []
