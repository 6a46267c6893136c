"""Voicemail boxes: messages indexed in the store, recordings and greetings as WAV files.

A mailbox is an extension or department number. Its files live in one directory,
``<voicemail_dir>/<mailbox>/``: messages as ``<UTC time>-<random>.wav`` and the
mailbox's own recorded greeting as ``greeting.wav``. Keeping the audio out of
SQLite keeps the store small and lets pjsua2's recorder write straight to disk;
the rows say which files are messages, who left them and whether they were heard.
"""

from __future__ import annotations

import hmac
import re
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from firmware.config import Config
from firmware.store.cdr import _iso, now

#: Mailbox numbers become directory names: only digits, so no path can escape the root.
_MAILBOX = re.compile(r"^[0-9]{2,5}$")


@dataclass(frozen=True)
class Message:
    id: int
    mailbox: str
    caller: str
    caller_name: str | None
    received_at: datetime
    seconds: float
    path: Path
    heard: bool
    call_record: int | None
    emailed_at: datetime | None
    email_error: str | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Message:
        return cls(
            id=row["id"],
            mailbox=row["mailbox"],
            caller=row["caller"],
            caller_name=row["caller_name"],
            received_at=datetime.fromisoformat(row["received_at"]),
            seconds=row["seconds"],
            path=Path(row["path"]),
            heard=bool(row["heard"]),
            call_record=row["call_record"],
            emailed_at=datetime.fromisoformat(row["emailed_at"]) if row["emailed_at"] else None,
            email_error=row["email_error"],
        )


class Mailboxes:
    """The voicemail table and the files beside it, shared by the engine and the web UI."""

    def __init__(self, conn: sqlite3.Connection, root: Path) -> None:
        self._conn = conn
        self.root = root

    def _dir(self, mailbox: str) -> Path:
        if not _MAILBOX.match(mailbox):
            raise ValueError(f"{mailbox!r} is not a mailbox number (2 to 5 digits)")
        return self.root / mailbox

    def new_message_path(self, mailbox: str) -> Path:
        """A WAV path no message uses yet, its directory created (owner only: it is mail)."""
        folder = self._dir(mailbox)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        while True:
            path = folder / f"{now():%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(4)}.wav"
            if not path.exists():
                return path

    def greeting_path(self, mailbox: str) -> Path:
        """Where the mailbox's own recorded greeting is kept; it may not exist yet."""
        return self._dir(mailbox) / "greeting.wav"

    def add(
        self,
        mailbox: str,
        *,
        caller: str,
        caller_name: str | None,
        seconds: float,
        path: Path,
        call_record: int | None,
        at: datetime | None = None,
    ) -> int:
        """Indexes a recorded message (new, not yet emailed); returns its id."""
        cur = self._conn.execute(
            "INSERT INTO voicemail (mailbox, caller, caller_name, received_at, seconds, path, "
            "call_record) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (mailbox, caller, caller_name, _iso(at or now()), seconds, str(path), call_record),
        )
        return int(cur.lastrowid or 0)

    def message(self, message_id: int) -> Message | None:
        row = self._conn.execute("SELECT * FROM voicemail WHERE id = ?", (message_id,)).fetchone()
        return Message.from_row(row) if row else None

    def messages(self, mailbox: str, *, include_heard: bool = True) -> list[Message]:
        """Messages not deleted, newest first."""
        rows = self._conn.execute(
            "SELECT * FROM voicemail WHERE mailbox = ? AND deleted_at IS NULL "
            "AND (? OR heard = 0) ORDER BY received_at DESC, id DESC",
            (mailbox, include_heard),
        ).fetchall()
        return [Message.from_row(r) for r in rows]

    def counts(self, mailbox: str) -> tuple[int, int]:
        """(new, old): unheard and heard messages not deleted, for the MWI lamp."""
        row = self._conn.execute(
            "SELECT count(*) FILTER (WHERE heard = 0), count(*) FILTER (WHERE heard = 1) "
            "FROM voicemail WHERE mailbox = ? AND deleted_at IS NULL",
            (mailbox,),
        ).fetchone()
        return int(row[0]), int(row[1])

    def mark_heard(self, message_id: int) -> None:
        self._conn.execute("UPDATE voicemail SET heard = 1 WHERE id = ?", (message_id,))

    def delete(self, message_id: int, *, at: datetime | None = None) -> None:
        """Marks the message deleted and removes its recording; a file already gone is fine.

        The row stays (with ``deleted_at``) so reports and the call record still
        show that a message was left.
        """
        row = self._conn.execute(
            "SELECT path FROM voicemail WHERE id = ?", (message_id,)
        ).fetchone()
        if row is None:
            return
        self._conn.execute(
            "UPDATE voicemail SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
            (_iso(at or now()), message_id),
        )
        Path(row["path"]).unlink(missing_ok=True)

    def record_email(
        self, message_id: int, error: str | None = None, *, at: datetime | None = None
    ) -> None:
        """What became of the message's email: sent (``error`` None) or why not."""
        if error is None:
            self._conn.execute(
                "UPDATE voicemail SET emailed_at = ?, email_error = NULL WHERE id = ?",
                (_iso(at or now()), message_id),
            )
        else:
            self._conn.execute(
                "UPDATE voicemail SET email_error = ? WHERE id = ?", (error, message_id)
            )

    @staticmethod
    def check_pin(config: Config, mailbox: str, digits: str) -> bool:
        """Whether ``digits`` open ``mailbox`` over the phone.

        The PIN is the extension's ``voicemail_pin``, else the department's. A
        mailbox without a PIN cannot be opened over the phone at all (False): a
        caller ID is easy to fake, so no PIN must not mean no lock. Its owner
        listens by email or in the web UI.
        """
        owner = config.extension(mailbox) or config.department(mailbox)
        pin = owner.voicemail_pin if owner else None
        return pin is not None and hmac.compare_digest(pin.encode(), digits.encode())

    @staticmethod
    def mailbox_email(config: Config, mailbox: str) -> list[str]:
        """Where a new message is mailed: the extension's email, or each department member's.

        Members without an email are skipped; an unknown mailbox has nobody.
        """
        extension = config.extension(mailbox)
        if extension is not None:
            return [extension.email] if extension.email else []
        department = config.department(mailbox)
        members = [config.extension(n) for n in department.members] if department else []
        return list(dict.fromkeys(m.email for m in members if m and m.email))


def message_summary(new: int, old: int, account: str) -> str:
    """The RFC 3842 ``application/simple-message-summary`` body of a NOTIFY for the MWI lamp.

    ``account`` is the mailbox's SIP URI (``sip:101@pbx.local``); a bare
    ``101@pbx.local`` gets the ``sip:`` scheme. Urgent counts are always 0/0:
    the box has no urgent messages.
    """
    uri = account if account.startswith(("sip:", "sips:")) else f"sip:{account}"
    return (
        f"Messages-Waiting: {'yes' if new else 'no'}\r\n"
        f"Message-Account: {uri}\r\n"
        f"Voice-Message: {new}/{old} (0/0)\r\n"
    )
