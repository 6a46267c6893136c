"""The reports' "service level per department" chart over known queue waits.

The sample office's departments both queue with the default service_level of 15 s.
Support (610): answered after 10 s (in time), after 20 s (late), a caller who hung
up after 30 s: 1 of 3, 33 %. Sales (600): answered after 5 s and after 20 s, 50 %.
All on 28 November 2026 in Moscow. Bars are drawn on a 0 to 100 axis, 152 px tall.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from firmware.store import analytics
from firmware.store.db import connect
from tests.support.web import WebBox

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
WAITS = [("610", 10.0, "answered"), ("610", 20.0, "answered"), ("610", 30.0, "hangup")]
WAITS += [("600", 5.0, "answered"), ("600", 20.0, "answered")]
TITLE = "Service level per department"


def seed(box: WebBox) -> None:
    conn = connect(box.home.store)
    for minute, (department, waited, outcome) in enumerate(WAITS):
        at = T0 + timedelta(minutes=minute)
        pass_id = analytics.open_pass(
            conn, scenario="day", number="+74951110000", caller="+79161234567", mode="day", at=at
        )
        step = analytics.step(conn, pass_id, kind="queue", target=department, at=at)
        analytics.close_step(conn, step, outcome, at=at + timedelta(seconds=waited))
    conn.close()


def service_chart(page: str) -> str:
    start = page.index(f"<strong>{TITLE}</strong>")
    return page[start : page.index("</figure>", start)]


def test_the_chart_shows_each_queues_share_answered_in_time(box: WebBox) -> None:
    seed(box)
    admin = box.signed_in("admin")
    chart = service_chart(admin.get("/reports/calls").text)
    titles = re.findall(r"<title>([^<]*)</title>", chart)
    assert titles == [
        "600: 50 % of queued calls answered in time",
        "610: 33 % of queued calls answered in time",
    ]
    heights = [float(h) for h in re.findall(r'<rect [^>]*height="([0-9.]+)"', chart)]
    assert heights == [76.0, 50.2]
    assert '<text x="30" y="28" font-size="11" text-anchor="end">100</text>' in chart


def test_the_chart_keeps_to_the_days_chosen(box: WebBox) -> None:
    seed(box)
    admin = box.signed_in("admin")
    chart = service_chart(admin.get("/reports/calls?since=2026-11-29").text)
    assert "<rect" not in chart and "no calls" in chart
