"""Voicemail email through a real SMTP server on loopback (aiosmtpd), and its failures."""

from __future__ import annotations

import email
import shutil
import socket
import ssl
import subprocess
import wave
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from firmware.config.inbound import Voicemail
from firmware.store.mailer import MailError, length_text, send_voicemail_email
from firmware.store.voicemail import Message
from tests.support.net import free_port

T0 = datetime(2026, 11, 28, 9, 0, 5, tzinfo=UTC)


class Inbox:
    """aiosmtpd handler keeping what arrived; refuses recipients at ``nobody@``."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []
        self.tls: list[bool] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address.startswith("nobody@"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        self.tls.append(session.ssl is not None)
        return "250 OK"

    def only(self) -> tuple[Any, EmailMessage]:
        [envelope] = self.envelopes
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return envelope, parsed


def serve(inbox: Inbox, **options: Any) -> Iterator[Voicemail]:
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port("tcp"), **options)
    controller.start()
    try:
        yield Voicemail(
            smtp_host="127.0.0.1", smtp_port=controller.port, email_from="pbx@office.ru"
        )
    finally:
        controller.stop()


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def relay(inbox: Inbox) -> Iterator[Voicemail]:
    yield from serve(inbox)


@pytest.fixture
def tls_relay(inbox: Inbox, tmp_path: Path) -> Iterator[Voicemail]:
    """A relay that offers STARTTLS with a self-signed certificate and requires it."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        + ["-nodes", "-days", "1", "-subj", "/CN=relay.office.lan"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    yield from serve(inbox, tls_context=context, require_starttls=True)


@pytest.fixture
def message(tmp_path: Path) -> Message:
    path = tmp_path / "msg.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(bytes(range(256)) * 64)
    return Message(
        id=1,
        mailbox="101",
        caller="+79161234567",
        caller_name="Petrov",
        received_at=T0,
        seconds=42.4,
        path=path,
        heard=False,
        call_record=None,
        emailed_at=None,
        email_error=None,
    )


def test_email_arrives_with_subject_recipients_and_the_wav(
    relay: Voicemail, inbox: Inbox, message: Message
) -> None:
    to = ["ivan@office.ru", "olga@office.ru"]
    send_voicemail_email(relay, to, message, box_name="Moscow office", timeout=5)
    envelope, mail = inbox.only()
    assert envelope.mail_from == "pbx@office.ru"
    assert envelope.rcpt_tos == to
    assert mail["Subject"] == "Voicemail from +79161234567 (0:42)"
    assert mail["To"] == "ivan@office.ru, olga@office.ru"
    assert mail["From"] == "Moscow office <pbx@office.ru>"
    body = mail.get_body(("plain",)).get_content()
    assert "mailbox 101" in body
    assert "Petrov <+79161234567>" in body
    assert "2026-11-28 09:00:05 UTC" in body
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_content_type() == "audio/wav"
    assert attachment.get_filename() == "voicemail-101-20261128-090005.wav"
    assert attachment.get_content() == message.path.read_bytes()


def test_email_in_the_box_language_and_time_zone_without_the_wav(
    relay: Voicemail, inbox: Inbox, message: Message
) -> None:
    settings = relay.model_copy(update={"attach": False})
    send_voicemail_email(
        settings,
        ["ivan@office.ru"],
        replace(message, caller_name=None),
        box_name="Офис",
        timeout=5,
        language="ru",
        timezone="Europe/Moscow",
    )
    _, mail = inbox.only()
    assert mail["Subject"] == "Голосовое сообщение от +79161234567 (0:42)"
    assert mail["From"] == "Офис <pbx@office.ru>"
    assert not list(mail.iter_attachments())
    body = mail.get_body(("plain",)).get_content()
    assert "Получено: 2026-11-28 12:00:05 MSK" in body
    assert "Запись хранится на АТС" in body


def test_starttls_is_used_when_the_relay_offers_it(
    tls_relay: Voicemail, inbox: Inbox, message: Message
) -> None:
    send_voicemail_email(tls_relay, ["ivan@office.ru"], message, box_name="Office", timeout=5)
    assert inbox.tls == [True]
    _, mail = inbox.only()
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_content() == message.path.read_bytes()


def test_a_refused_recipient_is_named(relay: Voicemail, inbox: Inbox, message: Message) -> None:
    with pytest.raises(MailError, match=r"refused nobody@office\.ru \(550 5\.1\.1 no such user\)"):
        send_voicemail_email(
            relay, ["ivan@office.ru", "nobody@office.ru"], message, box_name="Office", timeout=5
        )
    with pytest.raises(MailError, match=r"refused every recipient: nobody@office\.ru"):
        send_voicemail_email(relay, ["nobody@office.ru"], message, box_name="Office", timeout=5)


def test_refused_connection_is_a_clear_mail_error(message: Message) -> None:
    port = free_port("tcp")
    settings = Voicemail(smtp_host="127.0.0.1", smtp_port=port)
    with pytest.raises(MailError) as err:
        send_voicemail_email(settings, ["ivan@office.ru"], message, box_name="Office", timeout=5)
    assert str(err.value) == (
        f"the relay 127.0.0.1:{port} refused the connection (is an SMTP server listening there?)"
    )


def test_a_relay_that_never_answers_times_out(message: Message) -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        settings = Voicemail(smtp_host="127.0.0.1", smtp_port=port)
        with pytest.raises(MailError, match=rf"127\.0\.0\.1:{port} did not answer within 0\.3 s"):
            send_voicemail_email(
                settings, ["ivan@office.ru"], message, box_name="Office", timeout=0.3
            )


def test_a_missing_recording_or_no_recipient_is_a_mail_error(
    relay: Voicemail, inbox: Inbox, message: Message
) -> None:
    with pytest.raises(MailError, match="has no email address"):
        send_voicemail_email(relay, [], message, box_name="Office", timeout=5)
    message.path.unlink()
    with pytest.raises(MailError, match=r"cannot attach the recording .*msg\.wav: No such file"):
        send_voicemail_email(relay, ["ivan@office.ru"], message, box_name="Office", timeout=5)
    assert inbox.envelopes == []


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0:00"), (42.4, "0:42"), (59.6, "1:00"), (725, "12:05"), (3723, "1:02:03")],
)
def test_length_text(seconds: float, text: str) -> None:
    assert length_text(seconds) == text
