"""A new employee's credentials by mail: the SIP account their phone needs, or a web
password, sent to the employee's ``email`` through the relay of ``[voicemail]``.

The password travels only in the mail and on the page that shows it once: it is
never logged, and a failure to send names the relay and the reason, not the mail.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr, make_msgid

from firmware.config import Config
from firmware.config.schema import Extension
from firmware.store.mailer import MailError, deliver
from web_ui.context import log

#: Seconds for each step of handing the mail to the relay; the admin's page waits for it.
TIMEOUT = 10.0

_TEXT = {
    "en": {
        "subject": "Your {what} at {box}",
        "sip": "Your phone's account at {box} (extension {number}):\n\n"
        "User name and auth user: {number}\nPassword: {password}\n"
        "Domain: {domain}\nServer: {server}\n",
        "web": "Your web page at {box}: sign in with {number} and the password {password}\n"
        "and change the password after signing in.\n",
        "what_sip": "phone account",
        "what_web": "web password",
    },
    "ru": {
        "subject": "Ваш {what}: {box}",
        "sip": "Учётная запись телефона в {box} (внутренний номер {number}):\n\n"
        "Имя пользователя и логин: {number}\nПароль: {password}\n"
        "Домен: {domain}\nСервер: {server}\n",
        "web": "Ваша веб-страница в {box}: вход с номером {number} и паролем {password}\n"
        "Смените пароль после входа.\n",
        "what_sip": "SIP-аккаунт",
        "what_web": "веб-пароль",
    },
    "de": {
        "subject": "Ihr {what} bei {box}",
        "sip": "Das Konto Ihres Telefons bei {box} (Nebenstelle {number}):\n\n"
        "Benutzername und Auth-Benutzer: {number}\nPasswort: {password}\n"
        "Domain: {domain}\nServer: {server}\n",
        "web": "Ihre Webseite bei {box}: Anmeldung mit {number} und dem Passwort {password}\n"
        "Ändern Sie das Passwort nach der Anmeldung.\n",
        "what_sip": "Telefonkonto",
        "what_web": "Web-Passwort",
    },
}


def compose(config: Config, extension: Extension, kind: str, password: str) -> EmailMessage:
    """The mail of ``kind`` (``sip`` or ``web``) for ``extension``, in the box's language."""
    text = _TEXT.get(config.system.language, _TEXT["en"])
    settings = config.voicemail
    box = config.system.name
    mail = EmailMessage()
    mail["From"] = formataddr((box, settings.email_from))
    mail["To"] = str(extension.email)
    mail["Subject"] = text["subject"].format(what=text[f"what_{kind}"], box=box)
    mail["Message-ID"] = make_msgid(domain=settings.email_from.rpartition("@")[2])
    mail.set_content(
        text[kind].format(
            box=box,
            number=extension.number,
            password=password,
            domain=config.system.sip_domain,
            server=f"{config.network.sip_address}:{config.network.sip_port}",
        )
    )
    return mail


def mail_credentials(config: Config, number: str, kind: str, password: str) -> str | None:
    """Mails the credentials to the employee's email; what the page says, or None when the
    employee has no email."""
    extension = config.extension(number)
    if extension is None or not extension.email:
        return None
    try:
        deliver(
            config.voicemail,
            compose(config, extension, kind, password),
            [extension.email],
            timeout=TIMEOUT,
        )
    except MailError as exc:
        log.warning("credentials for %s not mailed to %s: %s", number, extension.email, exc)
        return f"They could not be mailed to {extension.email}: {exc}."
    log.info("credentials for %s mailed to %s", number, extension.email)
    return f"They were mailed to {extension.email}."
