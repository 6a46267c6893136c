"""Reports over a set of known calls: the figures, filters, second dimension, call paths,
charts and CSV each show what these calls must produce, worked out by hand below.

In Moscow time (the sample office's zone):
- A, 12:00, chose 1, department 600 rang 30 s, 101 answered and talked 60 s;
- B, 12:10, waited 40 s in department 610's queue, nobody answered (no_answer);
- anonymous, 13:00, hung up during the greeting after 4 s (cancelled);
- 101 called 102 at 14:00, 20 s of talk, no scenario.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from firmware.routing.outcome import Disposition
from firmware.store import analytics
from firmware.store.cdr import CallEnd, CallRecords
from firmware.store.db import connect
from tests.support.web import WebBox, field_errors

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
S = timedelta(seconds=1)
NUMBER = "+74951110000"
A, B = "+79161234567", "+79162222222"


def seed(box: WebBox) -> dict[str, int]:
    conn = connect(box.home.store)
    records = CallRecords(conn)

    def call(caller: str, dialed: str, start: datetime, direction: str = "inbound") -> int:
        return records.open(
            call_id=f"{caller}-{start}",
            caller=caller,
            callee=dialed,
            dialed=dialed,
            direction=direction,
            at=start,
        )

    def end(record: int, disposition: Disposition, at: datetime, by: str = "caller") -> None:
        records.close(
            record, CallEnd(disposition, by, 200 if disposition == "answered" else 487, ""), at=at
        )  # type: ignore[arg-type]

    def steps(
        pass_id: int, start: datetime, done: list[tuple[str, str | None, str, float]]
    ) -> datetime:
        at = start
        for kind, target, outcome, seconds in done:
            step = analytics.step(conn, pass_id, kind=kind, target=target, at=at)
            at += seconds * S
            analytics.close_step(conn, step, outcome, at=at)
        return at

    # A: answered by 101 after key 1.
    a = call(A, NUMBER, T0)
    p = analytics.open_pass(
        conn, scenario="day", number=NUMBER, caller=A, mode="day", call_record=a, at=T0
    )
    at = steps(
        p,
        T0,
        [
            ("greeting", None, "completed", 5),
            ("menu", "main", "chose:1", 5),
            ("dial", "department:600", "answered", 30),
        ],
    )
    records.answered(a, "101", at=at)
    at += 60 * S
    analytics.close_pass(
        conn,
        p,
        outcome="answered",
        termination="callee",
        answered_by="101",
        talk_seconds=60,
        group_name="600",
        at=at,
    )
    end(a, "answered", at, by="callee")
    # B: 40 s in the queue, nobody free.
    start = T0 + 600 * S
    b = call(B, NUMBER, start)
    p = analytics.open_pass(
        conn, scenario="day", number=NUMBER, caller=B, mode="day", call_record=b, at=start
    )
    at = steps(p, start, [("greeting", None, "completed", 5), ("queue", "610", "timeout", 40)])
    analytics.close_pass(conn, p, outcome="no_talk", termination="timeout", group_name="610", at=at)
    end(b, "no_answer", at, by="system")
    # Anonymous hangs up in the greeting.
    start = T0 + 3600 * S
    c = call("anonymous", NUMBER, start)
    p = analytics.open_pass(
        conn, scenario="day", number=NUMBER, caller="anonymous", mode="day", call_record=c, at=start
    )
    analytics.step(conn, p, kind="greeting", at=start)
    analytics.close_pass(conn, p, outcome="abandoned", termination="caller", at=start + 4 * S)
    end(c, "cancelled", start + 4 * S)
    # An internal call.
    start = T0 + 7200 * S
    d = call("101", "102", start, direction="internal")
    records.answered(d, "102", at=start + 5 * S)
    end(d, "answered", start + 25 * S)
    conn.close()
    return {"A": a, "B": b, "anonymous": c, "internal": d}


def figures(page: str, scenario: str) -> dict[str, str]:
    row = page[page.index(f'<tr data-scenario="{scenario}">') :]
    row = row[: row.index("</tr>")]
    found = {}
    for part in row.split('data-figure="')[1:]:
        name, _, rest = part.partition('">')
        found[name] = rest[: rest.index("<")]
    return found


def test_the_scenario_report_shows_the_figures_of_the_known_calls(box: WebBox) -> None:
    seed(box)
    admin = box.signed_in("admin")
    page = admin.get("/reports/scenarios", params={"since": "2026-11-28", "until": "2026-11-28"})
    assert page.status_code == 200
    assert figures(page.text, "day") == {
        "total": "3",
        "with_transfer": "1",
        "no_talk": "2",
        "completed": "1",
        "avg_talk_seconds": "60.0",
        "avg_call_seconds": str(round((100 + 45 + 4) / 3, 1)),
    }
    assert "1: 1" in page.text, "key 1 chosen once"
    empty = admin.get("/reports/scenarios", params={"since": "2026-11-29"})
    assert 'data-scenario="day"' not in empty.text


def test_filters_and_the_second_dimension(box: WebBox) -> None:
    seed(box)
    admin = box.signed_in("admin")
    over = admin.get(
        "/reports/scenarios",
        params={"f1": "no_talk", "op1": "gt", "v1": "0", "f2": "total", "op2": "lt", "v2": "10"},
    )
    assert 'data-scenario="day"' in over.text
    under = admin.get(
        "/reports/scenarios",
        params={
            "f1": "no_talk",
            "op1": "gt",
            "v1": "0",
            "f2": "avg_call_seconds",
            "op2": "lt",
            "v2": "10",
        },
    )
    assert 'data-scenario="day"' not in under.text
    split = admin.get("/reports/scenarios", params={"by": "termination"})
    assert split.text.count('<tr data-scenario="day">') == 3
    bad = admin.get("/reports/scenarios", params={"since": "yesterday", "v1": "x", "f1": "total"})
    assert bad.status_code == 422
    errors = field_errors(bad.text)
    assert ("since", "'yesterday' is not a date (YYYY-MM-DD)") in errors
    assert ("v1", "'x' is not a number") in errors


def test_scenario_csv_has_one_line_per_row(box: WebBox) -> None:
    seed(box)
    answer = box.signed_in("admin").get("/reports/scenarios.csv", params={"by": "group"})
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert {(r["group"], r["total"], r["no_talk"]) for r in rows} == {
        ("600", "1", "0"),
        ("610", "1", "1"),
        ("", "1", "1"),
    }


def test_call_history_search_path_and_csv(box: WebBox) -> None:
    records = seed(box)
    admin = box.signed_in("admin")
    found = admin.get("/reports/calls", params={"q": "7916222"})
    assert "1 call<" in found.text and B in found.text and A not in found.text
    missed = admin.get("/reports/calls", params={"disposition": "cancelled"})
    assert "anonymous" in missed.text and B not in missed.text
    path = admin.get(f"/reports/calls/{records['A']}").text
    assert (
        path.index("greeting")
        < path.index("menu main: chose:1")
        < path.index("dial department:600: answered")
    )
    assert "2026-11-28 12:00:00" in path, "times in the box's time zone"
    rows = list(csv.DictReader(io.StringIO(admin.get("/reports/calls.csv").text)))
    assert [r["caller"] for r in rows] == ["101", "anonymous", B, A]
    assert admin.get("/reports/calls/999").status_code == 404


def test_the_charts_draw_the_known_calls(box: WebBox) -> None:
    seed(box)
    page = box.signed_in("admin").get("/reports/calls").text
    assert "<title>12: 1 answered</title>" in page and "<title>12: 1 no_answer</title>" in page
    assert "<title>13: 1 cancelled</title>" in page and "<title>14: 1 answered</title>" in page
    assert "<title>no_answer: 1 </title>" in page and "<title>cancelled: 1 </title>" in page
    assert "<title>30-60 s: 1 </title>" in page
    assert page.count("<rect") == 4 + 2 + 1
