"""Asking ICM's sources about a caller, for the engine and for ``minipbx explain``.

Both ask the same way, so what ``explain`` shows is what a call would get. The
box's own history is a query on the call records; the CRMs are not asked yet
(the config refuses them in ``icm.sources``).
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from firmware.routing.icm import IcmRules, SourceAnswer
from firmware.store.cdr import CallRecords


def ask(
    rules: IcmRules, caller: str, *, store: sqlite3.Connection, now: datetime
) -> tuple[str | None, list[SourceAnswer]]:
    """The caller as a customer's number (E.164 digits), and what each source said."""
    number = rules.customer_number(caller)
    if number is None:
        return None, []
    answers = []
    if "history" in rules.sources:
        found = CallRecords(store).last_talked(f"+{number}", rules.history_since(now))
        detail = f"last talked with them within {rules.history_days} days" if found else ""
        answers.append(SourceAnswer("history", found, detail=detail))
    return number, answers
