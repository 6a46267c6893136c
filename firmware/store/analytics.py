"""Scenario analytics: what each pass through a call scenario did, and the report over them.

A *pass* is one call going through one scenario. A call the scenario hands to
another scenario (a ``run`` step, or a menu key or overflow naming
``scenario:NAME``) starts a second pass with the same ``call_record``. A pass
lists its steps in order, each with how the caller left it, so a report can
say where callers drop out as well as how the pass ended.

Pass ``outcome``, how the caller left the scenario:

- ``answered``: a person in the office (an extension, a department member) answered.
- ``forwarded``: a ``forward`` step put the call through to an outside number that answered.
- ``transferred``: the pass handed the call to another scenario, whose pass carries on.
- ``voicemail``: the caller left a voicemail message.
- ``callback``: the caller asked a department's queue to call back (a row in ``callbacks``).
- ``hangup``: the box ended the call: a hangup step or target, or the engine stopped.
- ``no_talk``: the scenario ran out of steps without anyone taking the call.
- ``abandoned``: the caller hung up before any of the above.

``termination``, who ended the call: ``caller``, ``callee`` (the person who
answered), ``system`` (the box), ``timeout`` (a timer: the queue's ``max_wait``,
a menu's timeout, voicemail's ``max_seconds``). None for a transferred pass:
the call went on. ``option`` is the first menu key the caller chose in the
pass; ``group_name`` the department the call reached (its number);
``repeated`` says the same caller number went through the same scenario in the
24 hours before the pass started (a caller number without digits, such as
``anonymous``, is never repeated).

Step ``outcome``: ``completed`` (a greeting played out, a run step handed on),
``answered``, ``no_answer``, ``busy``, ``timeout``, ``invalid`` (menu keys that
lead nowhere, up to ``max_invalid``), ``hangup`` (the caller hung up during
it), ``chose:<key>`` (a menu key), ``full`` (the queue was full), ``callback``.

The report counts closed passes (``ended_at`` set) that started in
``[since, until)``. For each scenario, and with ``by`` for each value of that
dimension within it (``number``: the DID called, ``call_type``,
``termination``, ``operation``: the outcome, ``group``: the department):

- ``total``: passes.
- ``by_option``: ``{key: passes}`` by ``option``; passes without a menu choice are not in it.
- ``with_transfer``: passes with a menu choice whose outcome is ``answered`` or
  ``forwarded``: the caller chose a key and was put through to a person.
- ``handed_on``: answered passes whose call the person who answered then
  transferred to a colleague (the call record's ``transferred_to``).
- ``no_talk``: passes not ``transferred`` whose ``talk_seconds`` is 0: the
  call ended in this pass without anybody talking with the caller.
- ``completed``: passes whose outcome is ``answered``, ``forwarded``,
  ``voicemail`` or ``callback``: the caller was served (a person, a message
  left, or a callback promised).
- ``repeated``: passes flagged ``repeated``.
- ``icm_rang``: passes in which ICM rang the manager it found for the caller;
  ``icm_answered``: those in which that manager answered (``icm`` in the table,
  answered/rang). ICM's decisions themselves are in ``icm_decisions``.
- ``avg_talk_seconds``: mean ``talk_seconds`` of the passes with talk > 0, or
  None without one; ``avg_call_seconds``: mean of ``ended_at - started_at``.
  Both rounded to 0.1 s.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from typing import Any, Literal

from firmware.store.cdr import _iso, now

PassOutcome = Literal[
    "answered",
    "no_talk",
    "transferred",
    "voicemail",
    "callback",
    "hangup",
    "abandoned",
    "forwarded",
]
Termination = Literal["caller", "callee", "system", "timeout"]
CallType = Literal["internal", "inbound", "outbound"]

#: ``by`` names and the column each reads; only these names ever reach the SQL text.
DIMENSIONS = {
    "number": "number",
    "call_type": "call_type",
    "termination": "termination",
    "operation": "outcome",
    "group": "group_name",
}
REPEAT_WINDOW = timedelta(hours=24)
_KEYPAD = "1234567890*#"


def open_pass(
    conn: sqlite3.Connection,
    *,
    scenario: str,
    number: str,
    caller: str,
    mode: str | None,
    call_record: int | None = None,
    call_type: CallType = "inbound",
    at: datetime | None = None,
) -> int:
    """A call starts a scenario; ``number`` is the DID it came in on. Returns the pass id."""
    started = at or now()
    repeated = (
        any(c.isdigit() for c in caller)
        and conn.execute(
            "SELECT 1 FROM scenario_passes WHERE scenario = ? AND caller = ? "
            "AND started_at >= ? AND started_at <= ? LIMIT 1",
            (scenario, caller, _iso(started - REPEAT_WINDOW), _iso(started)),
        ).fetchone()
        is not None
    )
    cur = conn.execute(
        "INSERT INTO scenario_passes (call_record, scenario, number, caller, mode, call_type, "
        "started_at, repeated) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (call_record, scenario, number, caller, mode, call_type, _iso(started), int(repeated)),
    )
    return int(cur.lastrowid or 0)


def step(
    conn: sqlite3.Connection,
    pass_id: int,
    *,
    kind: str,
    target: str | None = None,
    at: datetime | None = None,
) -> int:
    """The pass enters its next step (``kind`` as in pbx.toml); returns the step id."""
    cur = conn.execute(
        "INSERT INTO scenario_steps (pass_id, position, kind, target, entered_at) "
        "SELECT ?, coalesce(max(position), 0) + 1, ?, ?, ? FROM scenario_steps WHERE pass_id = ?",
        (pass_id, kind, target, _iso(at or now()), pass_id),
    )
    return int(cur.lastrowid or 0)


def close_step(
    conn: sqlite3.Connection, step_id: int, outcome: str, *, at: datetime | None = None
) -> None:
    """How the caller left a step; the first ``chose:<key>`` of a pass becomes its option."""
    conn.execute(
        "UPDATE scenario_steps SET left_at = ?, outcome = ? WHERE id = ? AND left_at IS NULL",
        (_iso(at or now()), outcome, step_id),
    )
    if outcome.startswith("chose:"):
        conn.execute(
            "UPDATE scenario_passes SET option = ? WHERE option IS NULL "
            "AND id = (SELECT pass_id FROM scenario_steps WHERE id = ?)",
            (outcome.removeprefix("chose:"), step_id),
        )


def close_pass(
    conn: sqlite3.Connection,
    pass_id: int,
    *,
    outcome: PassOutcome,
    termination: Termination | None,
    answered_by: str | None = None,
    talk_seconds: float = 0.0,
    group_name: str | None = None,
    at: datetime | None = None,
) -> None:
    """How the pass ended; a closed pass is never rewritten.

    A step still open is closed with it as ``hangup``: the call ended during it.
    """
    ended = _iso(at or now())
    conn.execute(
        "UPDATE scenario_steps SET left_at = ?, outcome = 'hangup' "
        "WHERE pass_id = ? AND left_at IS NULL",
        (ended, pass_id),
    )
    conn.execute(
        "UPDATE scenario_passes SET ended_at = ?, outcome = ?, termination = ?, answered_by = ?, "
        "talk_seconds = ?, group_name = ? WHERE id = ? AND ended_at IS NULL",
        (ended, outcome, termination, answered_by, talk_seconds, group_name, pass_id),
    )


def close_interrupted(conn: sqlite3.Connection, at: datetime | None = None) -> int:
    """Closes passes a killed engine left open as ``hangup`` by the system, at its last heartbeat.

    Call it at start, before the engine's first heartbeat, as for the call records.
    """
    row = conn.execute("SELECT alive_at FROM engine_state WHERE id = 1").fetchone()
    last = row["alive_at"] if row else _iso(at or now())
    conn.execute(
        "UPDATE scenario_steps SET left_at = max(entered_at, ?), outcome = 'hangup' "
        "WHERE left_at IS NULL",
        (last,),
    )
    cur = conn.execute(
        "UPDATE scenario_passes SET ended_at = max(started_at, ?), outcome = 'hangup', "
        "termination = 'system' WHERE ended_at IS NULL",
        (last,),
    )
    return cur.rowcount


def scenario_report(
    conn: sqlite3.Connection,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    by: str | None = None,
) -> list[dict[str, Any]]:
    """The figures of the module docstring, one dict per scenario (and ``by`` value)."""
    if by is not None and by not in DIMENSIONS:
        raise ValueError(f"by must be one of {', '.join(DIMENSIONS)}, not {by!r}")
    if any(t is not None and t.tzinfo is None for t in (since, until)):
        raise ValueError("since and until need a time zone")
    column = DIMENSIONS[by] if by else "NULL"
    where = (
        "ended_at IS NOT NULL AND (:since IS NULL OR started_at >= :since) "
        "AND (:until IS NULL OR started_at < :until)"
    )
    window = {"since": _iso(since) if since else None, "until": _iso(until) if until else None}
    figures = conn.execute(
        f"""SELECT scenario, {column} AS value, count(*) AS total,
                count(*) FILTER (WHERE option IS NOT NULL
                    AND outcome IN ('answered', 'forwarded')) AS with_transfer,
                count(*) FILTER (WHERE outcome = 'answered' AND EXISTS (SELECT 1 FROM calls c
                    WHERE c.id = scenario_passes.call_record AND c.transferred_to IS NOT NULL))
                    AS handed_on,
                count(*) FILTER (WHERE outcome != 'transferred' AND talk_seconds = 0) AS no_talk,
                count(*) FILTER (WHERE outcome IN
                    ('answered', 'forwarded', 'voicemail', 'callback')) AS completed,
                count(*) FILTER (WHERE repeated = 1) AS repeated,
                count(*) FILTER (WHERE EXISTS (SELECT 1 FROM icm_decisions d
                    WHERE d.pass_id = scenario_passes.id AND d.action = 'ring')) AS icm_rang,
                count(*) FILTER (WHERE EXISTS (SELECT 1 FROM icm_decisions d
                    WHERE d.pass_id = scenario_passes.id AND d.outcome = 'answered'))
                    AS icm_answered,
                round(avg(talk_seconds) FILTER (WHERE talk_seconds > 0), 1) AS avg_talk_seconds,
                round(avg((julianday(ended_at) - julianday(started_at)) * 86400.0), 1)
                    AS avg_call_seconds
            FROM scenario_passes WHERE {where}
            GROUP BY scenario, value ORDER BY scenario, value IS NULL, value""",
        window,
    ).fetchall()
    options = conn.execute(
        f"""SELECT scenario, {column} AS value, option, count(*) AS passes
            FROM scenario_passes WHERE {where} AND option IS NOT NULL
            GROUP BY scenario, value, option""",
        window,
    ).fetchall()
    chosen: dict[tuple[str, Any], dict[str, int]] = {}
    for o in sorted(options, key=lambda o: _KEYPAD.find(o["option"])):
        chosen.setdefault((o["scenario"], o["value"]), {})[o["option"]] = o["passes"]
    report = []
    for f in figures:
        row: dict[str, Any] = {"scenario": f["scenario"]}
        if by:
            row[by] = f["value"]
        row["total"] = f["total"]
        row["by_option"] = chosen.get((f["scenario"], f["value"]), {})
        for name in (
            "with_transfer",
            "handed_on",
            "no_talk",
            "completed",
            "repeated",
            "icm_rang",
            "icm_answered",
        ):
            row[name] = f[name]
        row["avg_talk_seconds"] = f["avg_talk_seconds"]
        row["avg_call_seconds"] = f["avg_call_seconds"]
        report.append(row)
    return report


def render_report(rows: list[dict[str, Any]], by: str | None = None) -> str:
    """The report as a plain text table, for ``minipbx report scenarios``."""
    if not rows:
        return "no scenario passes in this period"
    headers = ["scenario", *([by] if by else []), "total", "completed", "transfer", "handed on"]
    headers += ["no talk", "repeated", "icm", "avg talk", "avg call", "options"]
    counts = ("total", "completed", "with_transfer", "handed_on", "no_talk", "repeated")
    lines = [
        [
            r["scenario"],
            *([r[by] or "-"] if by else []),
            *(str(r[k]) for k in counts),
            f"{r['icm_answered']}/{r['icm_rang']}",
            *(_seconds(r[k]) for k in ("avg_talk_seconds", "avg_call_seconds")),
            " ".join(f"{key}:{n}" for key, n in r["by_option"].items()) or "-",
        ]
        for r in rows
    ]
    text_columns = 2 if by else 1
    widths = [max(len(cells[i]) for cells in [headers, *lines]) for i in range(len(headers))]
    return "\n".join(
        "  ".join(
            cell.ljust(w) if i < text_columns or i == len(cells) - 1 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()
        for cells in [headers, *lines]
    )


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}s"
