"""Reports: the per-scenario analytics (``minipbx report scenarios``, reused as it is), the
call history with each call's path, charts people look at, and CSV exports of both."""

from __future__ import annotations

import csv
import io
import json
import operator
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from firmware.store.analytics import DIMENSIONS, scenario_report
from firmware.store.db import connect
from firmware.store.service_level import service_levels
from web_ui import charts, history
from web_ui.context import snapshot_or_none, web_of
from web_ui.deps import Admin
from web_ui.forms import Problems

router = APIRouter(prefix="/reports")

FIGURES = (
    "total",
    "with_transfer",
    "handed_on",
    "no_talk",
    "completed",
    "repeated",
    "icm_rang",
    "icm_answered",
    "avg_talk_seconds",
    "avg_call_seconds",
)
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "gt": operator.gt,
    "lt": operator.lt,
}


@contextmanager
def _store(request: Request) -> Iterator[sqlite3.Connection]:
    conn = connect(web_of(request).home.store)
    try:
        yield conn
    finally:
        conn.close()


def _zone(request: Request) -> ZoneInfo:
    snapshot = snapshot_or_none(request)
    return ZoneInfo(snapshot.config.system.timezone if snapshot else "UTC")


def _window(request: Request, problems: Problems) -> tuple[datetime | None, datetime | None]:
    """``since`` and ``until`` days (both included) in the box's time zone."""
    zone = _zone(request)
    found: list[datetime | None] = []
    for name, extra in (("since", 0), ("until", 1)):
        raw = request.query_params.get(name, "").strip()
        if not raw:
            found.append(None)
            continue
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            problems.add(name, f"{raw!r} is not a date (YYYY-MM-DD)")
            found.append(None)
            continue
        found.append(datetime.combine(day + timedelta(days=extra), time(), zone))
    return found[0], found[1]


def _filtered(
    rows: list[dict[str, Any]], request: Request, problems: Problems
) -> list[dict[str, Any]]:
    """Rows whose figures pass the filters ``f1 op1 v1`` and ``f2 op2 v2``."""
    kept = rows
    for n in ("1", "2"):
        query = request.query_params
        figure, comparison, raw = (
            query.get("f" + n, ""),
            query.get("op" + n, "gt"),
            query.get("v" + n, ""),
        )
        if not figure or not raw:
            continue
        if figure not in FIGURES or comparison not in OPERATORS:
            problems.add("v" + n, "choose a figure and more than / less than")
            continue
        try:
            bound = float(raw)
        except ValueError:
            problems.add("v" + n, f"{raw!r} is not a number")
            continue
        test = OPERATORS[comparison]
        kept = [r for r in kept if r[figure] is not None and test(r[figure], bound)]
    return kept


def _scenario_rows(request: Request, problems: Problems) -> tuple[list[dict[str, Any]], str | None]:
    by = request.query_params.get("by") or None
    if by is not None and by not in DIMENSIONS:
        problems.add("by", f"no dimension {by!r}")
        by = None
    since, until = _window(request, problems)
    with _store(request) as conn:
        rows = scenario_report(conn, since=since, until=until, by=by)
    return _filtered(rows, request, problems), by


@router.get("/scenarios")
def scenarios(request: Request, viewer: Admin) -> Any:
    problems = Problems()
    rows, by = _scenario_rows(request, problems)
    return web_of(request).render(
        request,
        "report_scenarios.html",
        status=422 if problems else 200,
        rows=rows,
        by=by,
        dimensions=list(DIMENSIONS),
        figures=FIGURES,
        query=request.query_params,
        query_string=request.url.query,
        problems=problems,
    )


@router.get("/scenarios.csv")
def scenarios_csv(request: Request, viewer: Admin) -> Response:
    problems = Problems()
    rows, by = _scenario_rows(request, problems)
    if problems:
        raise HTTPException(422, "; ".join(m for ms in problems.fields.values() for m in ms))
    columns = ["scenario", *([by] if by else []), *FIGURES, "by_option"]
    return _csv(
        "scenarios.csv", columns, [{**r, "by_option": json.dumps(r["by_option"])} for r in rows]
    )


def _call_filter(request: Request, problems: Problems) -> history.CallFilter:
    since, until = _window(request, problems)
    query = request.query_params
    direction, disposition = query.get("direction", ""), query.get("disposition", "")
    if direction not in ("", *history.DIRECTIONS):
        problems.add("direction", f"no direction {direction!r}")
        direction = ""
    if disposition not in ("", *history.DISPOSITIONS):
        problems.add("disposition", f"no outcome {disposition!r}")
        disposition = ""
    return history.CallFilter(
        since=since,
        until=until,
        text=query.get("q", "").strip()[:40],
        direction=direction,
        disposition=disposition,
    )


@router.get("/calls")
def calls(request: Request, viewer: Admin) -> Any:
    problems = Problems()
    chosen = _call_filter(request, problems)
    zone = _zone(request)
    with _store(request) as conn:
        found = history.calls(conn, chosen)
        hours = history.per_hour(conn, chosen, zone)
        missed = history.missed_by_reason(conn, chosen)
        waits = history.queue_waits(conn, chosen)
        levels = _service_levels(request, conn, chosen)
    drawn = [
        charts.stacked(
            "Calls per hour by outcome", [(f"{h:02}", dict(c)) for h, c in hours.items()]
        ),
        charts.bars("Missed calls by reason", missed),
        charts.bars("Queue waits", waits),
        charts.percents(
            "Service level per department", levels, "% of queued calls answered in time"
        ),
    ]
    return web_of(request).render(
        request,
        "report_calls.html",
        status=422 if problems else 200,
        calls=[_local(c, zone) for c in found],
        charts=drawn,
        query=request.query_params,
        query_string=request.url.query,
        directions=history.DIRECTIONS,
        dispositions=history.DISPOSITIONS,
        problems=problems,
    )


def _service_levels(
    request: Request, conn: sqlite3.Connection, chosen: history.CallFilter
) -> list[tuple[str, int | None]]:
    """Each department with a queue: the whole percent of its queued callers answered
    within its queue's service_level, over the days chosen (None: nobody queued)."""
    snapshot = snapshot_or_none(request)
    departments = snapshot.config.departments if snapshot else []
    targets = {d.number: float(d.queue.service_level) for d in departments if d.queue.enabled}
    found = service_levels(conn, targets, since=chosen.since, until=chosen.until)
    return [
        (number, None if level.percent is None else round(level.percent))
        for number, level in found.items()
    ]


@router.get("/calls.csv")
def calls_csv(request: Request, viewer: Admin) -> Response:
    problems = Problems()
    chosen = _call_filter(request, problems)
    with _store(request) as conn:
        found = history.calls(conn, chosen, limit=100000)
    columns = [
        "id",
        "started_at",
        "answered_at",
        "ended_at",
        "direction",
        "caller",
        "dialed",
        "callee",
        "disposition",
        "talk_seconds",
        "hangup_by",
        "reason",
        "answered_by",
        "transferred_to",
    ]
    return _csv("calls.csv", columns, found)


@router.get("/calls/{record}")
def call(request: Request, record: int, viewer: Admin) -> Any:
    zone = _zone(request)
    with _store(request) as conn:
        found = history.call(conn, record)
        if found is None:
            raise HTTPException(404, f"no call {record}")
        path = history.call_path(conn, record)
    return web_of(request).render(
        request,
        "report_call.html",
        call=_local(found, zone),
        passes=[
            {**p, "steps": [_local(s, zone) for s in p["steps"]]}
            for p in map(lambda p: _local(p, zone), path)
        ],
    )


def _local(row: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    """Times in the box's time zone, to the second, as people read them."""
    shown = dict(row)
    for key in ("started_at", "answered_at", "ended_at", "entered_at", "left_at"):
        if shown.get(key):
            shown[key] = (
                datetime.fromisoformat(shown[key]).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
            )
    return shown


def _cell(value: Any) -> Any:
    """A caller's number comes from outside: text a spreadsheet would run as a formula
    (``=``, ``@``, or a sign not followed by digits) is written quoted as text."""
    if not isinstance(value, str) or not value:
        return value
    formula = value[0] in "=@\t\r" or (value[0] in "+-" and not value[1:2].isdigit())
    return f"'{value}" if formula else value


def _csv(name: str, columns: list[str], rows: list[dict[str, Any]]) -> Response:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
