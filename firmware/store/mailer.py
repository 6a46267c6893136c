"""Voicemail by email, through the SMTP relay named in ``[voicemail]`` (``deliver`` also
carries the web UI's mail of a new employee's credentials).

The relay is the office's own (loopback or LAN), so there is no login: the box
hands the message over and the relay delivers it. STARTTLS is used whenever
the relay offers it, as opportunistic encryption (RFC 7435): without a setting
for a trusted CA, a LAN relay's usual self-signed certificate is accepted, which
still keeps the recording away from passive listeners on the LAN.

Synchronous and bounded by ``timeout`` per network operation: the engine calls
it off its own thread and records a failure as the message's ``email_error``.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from zoneinfo import ZoneInfo

from firmware.config.inbound import Voicemail
from firmware.store.voicemail import Message

_TEXT = {
    "en": {
        "subject": "Voicemail from {who} ({length})",
        "body": "{box}: a new voicemail in mailbox {mailbox}.\n\n"
        "From: {who}\nReceived: {when}\nLength: {length}\n\n{where}\n",
        "attached": "The recording is attached.",
        "kept": "The recording is kept on the phone system; listen to it from your phone.",
        "unknown": "an unknown caller",
    },
    "ru": {
        "subject": "Голосовое сообщение от {who} ({length})",
        "body": "{box}: новое голосовое сообщение в ящике {mailbox}.\n\n"
        "От: {who}\nПолучено: {when}\nДлительность: {length}\n\n{where}\n",
        "attached": "Запись во вложении.",
        "kept": "Запись хранится на АТС; прослушайте её с телефона.",
        "unknown": "неизвестного абонента",
    },
    "de": {
        "subject": "Sprachnachricht von {who} ({length})",
        "body": "{box}: eine neue Sprachnachricht im Postfach {mailbox}.\n\n"
        "Von: {who}\nEmpfangen: {when}\nDauer: {length}\n\n{where}\n",
        "attached": "Die Aufnahme ist angehängt.",
        "kept": "Die Aufnahme liegt auf der Telefonanlage; hören Sie sie am Telefon ab.",
        "unknown": "unbekannt",
    },
}


class MailError(Exception):
    """The email was not handed to the relay; the message says where and why."""


def length_text(seconds: float) -> str:
    """``0:42``, ``12:05``, ``1:02:03``: how long a message is, as people write it."""
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes}:{secs:02}"


def compose(
    settings: Voicemail,
    to: list[str],
    message: Message,
    *,
    box_name: str,
    language: str = "en",
    timezone: str = "UTC",
) -> EmailMessage:
    """The email for one message, in the box's language (English for any other)."""
    text = _TEXT.get(language, _TEXT["en"])
    who = message.caller or text["unknown"]
    if message.caller_name:
        who = f"{message.caller_name} <{who}>"
    length = length_text(message.seconds)
    received = message.received_at.astimezone(ZoneInfo(timezone))
    mail = EmailMessage()
    mail["From"] = formataddr((box_name, settings.email_from))
    mail["To"] = ", ".join(to)
    mail["Subject"] = text["subject"].format(who=message.caller or text["unknown"], length=length)
    mail["Date"] = format_datetime(received)
    mail["Message-ID"] = make_msgid(domain=settings.email_from.rpartition("@")[2])
    mail.set_content(
        text["body"].format(
            box=box_name,
            mailbox=message.mailbox,
            who=who,
            when=f"{received:%Y-%m-%d %H:%M:%S %Z}",
            length=length,
            where=text["attached" if settings.attach else "kept"],
        )
    )
    if settings.attach:
        try:
            audio = message.path.read_bytes()
        except OSError as exc:
            raise MailError(f"cannot attach the recording {message.path}: {exc.strerror}") from exc
        mail.add_attachment(
            audio,
            maintype="audio",
            subtype="wav",
            filename=f"voicemail-{message.mailbox}-{received:%Y%m%d-%H%M%S}.wav",
        )
    return mail


def send_voicemail_email(
    settings: Voicemail,
    to: list[str],
    message: Message,
    *,
    box_name: str,
    timeout: float,
    language: str = "en",
    timezone: str = "UTC",
) -> None:
    """Mails ``message`` to ``to`` through the relay; raises MailError if it was not accepted.

    ``box_name`` is the box's name (``[system] name``), shown as the sender;
    ``language`` and ``timezone`` are the box's, for the text and the time.
    A relay that refuses some of the recipients is a failure too, naming them.
    """
    if not to:
        raise MailError(f"mailbox {message.mailbox} has no email address to send to")
    mail = compose(settings, to, message, box_name=box_name, language=language, timezone=timezone)
    deliver(settings, mail, to, timeout=timeout)


def deliver(settings: Voicemail, mail: EmailMessage, to: list[str], *, timeout: float) -> None:
    """Hands ``mail`` to the relay of ``settings`` for ``to``; raises MailError if it was not
    accepted. The web UI mails an employee's credentials through it too."""
    relay = f"{settings.smtp_host}:{settings.smtp_port}"
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=timeout) as smtp:
            smtp.ehlo()
            if smtp.has_extn("starttls"):
                smtp.starttls(context=_opportunistic_tls())
                smtp.ehlo()
            refused = smtp.send_message(mail, from_addr=settings.email_from, to_addrs=to)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"the relay {relay} {_why(exc, timeout)}") from exc
    if refused:
        raise MailError(f"the relay {relay} refused {_refused(refused)}")


def _why(exc: smtplib.SMTPException | OSError, timeout: float) -> str:
    # smtplib reports a read that timed out as a lost connection; the timeout is the cause.
    if isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError):
        return f"did not answer within {timeout:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return "refused the connection (is an SMTP server listening there?)"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"refused every recipient: {_refused(exc.recipients)}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"answered {exc.smtp_code} {_text(exc.smtp_error)}"
    return f"failed: {exc}"


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply


def _refused(recipients: dict[str, tuple[int, bytes]]) -> str:
    return ", ".join(
        f"{addr} ({code} {_text(reply)})" for addr, (code, reply) in recipients.items()
    )


def _opportunistic_tls() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context
