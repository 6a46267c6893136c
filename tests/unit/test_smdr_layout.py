"""The KX-TDA SMDR pattern A line: columns where the feature guide puts them."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from drivers.smdr_layout import Page, finished_call, header_lines, smdr_line
from firmware.config.smdr import Smdr

MOSCOW = ZoneInfo("Europe/Moscow")
LINES = {"city": 1, "mobile": 2}
#: Documented columns (1-based, inclusive) of pattern A: Date(8) Time(7) Ext(5) CO(2)
#: Dial Number(25) Ring(4) Duration(8) Acc code(10) CD(3), one space between.
COLUMNS = {
    "date": (1, 8),
    "time": (10, 16),
    "ext": (18, 22),
    "co": (24, 25),
    "dial": (27, 51),
    "ring": (53, 56),
    "duration": (58, 65),
    "acc": (67, 76),
    "cd": (78, 80),
}


def row(**values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": 1,
        "caller": "201",
        "callee": "+74951234567",
        "dialed": "84951234567",
        "started_at": "2026-12-03T07:02:20.000+00:00",
        "answered_at": "2026-12-03T07:02:25.000+00:00",
        "ended_at": "2026-12-03T07:03:30.000+00:00",
        "disposition": "answered",
        "talk_seconds": 65.0,
        "direction": "outbound",
        "trunk": "city",
        "destination": None,
        "answered_by": None,
        "transferred_to": None,
    }
    return base | values


def line(settings: Smdr | None = None, **values: Any) -> str | None:
    call = finished_call(row(**values), LINES)
    assert call is not None
    return smdr_line(call, settings or Smdr(), MOSCOW)


def columns(text: str) -> dict[str, str]:
    return {name: text[start - 1 : end].rstrip() for name, (start, end) in COLUMNS.items()}


def test_an_outgoing_call_shows_the_digits_dialed_and_its_talk_time() -> None:
    text = line()
    assert text == ("03/12/26 10:03AM 201   01 84951234567                    00:01'05" + " " * 15)
    assert len(text) == 80
    assert columns(text) == {
        "date": "03/12/26",
        "time": "10:03AM",
        "ext": "201",
        "co": "01",
        "dial": "84951234567",
        "ring": "",
        "duration": "00:01'05",
        "acc": "",
        "cd": "",
    }


def test_an_incoming_call_shows_i_the_caller_its_ring_time_and_a_transfer() -> None:
    text = line(
        direction="inbound",
        caller="+74951112233",
        dialed="+74957654321",
        trunk="mobile",
        answered_by="202",
        transferred_to="203",
        started_at="2026-12-03T12:59:50.000+00:00",
        answered_at="2026-12-03T12:59:57.500+00:00",
        ended_at="2026-12-03T13:02:02.600+00:00",
        talk_seconds=125.1,
    )
    assert text is not None
    assert columns(text) == {
        "date": "03/12/26",
        "time": "04:02PM",
        "ext": "203",
        "co": "02",
        "dial": "<I>+74951112233",
        "ring": "0'07",
        "duration": "00:02'05",
        "acc": "",
        "cd": "TR",
    }


def test_an_incoming_call_nobody_answered_rings_to_its_end_and_says_na() -> None:
    text = line(
        direction="inbound",
        caller="+74951112233",
        destination="scenario:day",
        answered_at=None,
        talk_seconds=0,
        disposition="no_answer",
        started_at="2026-12-03T07:03:05.000+00:00",
    )
    assert text is not None
    fields = columns(text)
    assert (fields["ext"], fields["ring"], fields["duration"], fields["cd"]) == (
        "",
        "0'25",
        "00:00'00",
        "NA",
    )


def test_calls_between_extensions_print_only_when_asked_and_in_24_hour_clock() -> None:
    internal = {"direction": "internal", "trunk": None, "dialed": "102", "callee": "102"}
    assert line(**internal) is None
    text = line(Smdr(intercom=True, clock="24h", date_format="mm/dd/yy"), **internal)
    assert text is not None
    assert columns(text) == {
        "date": "12/03/26",
        "time": "  10:03",
        "ext": "201",
        "co": "",
        "dial": "EXT102",
        "ring": "",
        "duration": "00:01'05",
        "acc": "",
        "cd": "",
    }


def test_a_request_waiting_for_a_line_is_no_call_of_its_own() -> None:
    assert finished_call(row(disposition="queued"), LINES) is None


def test_a_page_starts_with_the_header_and_ends_with_the_perforation_skip() -> None:
    page = Page(Smdr(page_length=8, skip_perforation=2))
    printed: list[str] = []
    for record in ("one", "two", "three", "four"):
        out, page = page.add(record)
        printed.extend(out)
    header = header_lines()
    assert header[1].split() == [
        "Date",
        "Time",
        "Ext",
        "CO",
        "Dial",
        "Number",
        "Ring",
        "Duration",
        "Acc",
        "code",
        "CD",
    ]
    assert [len(h) for h in header] == [80, 80, 80]
    assert printed == [*header, "one", "two", "three", "", "", *header, "four"]


def test_continuous_paper_gets_one_header_or_none() -> None:
    page = Page(Smdr(page_length=0))
    first, page = page.add("one")
    later, _ = page.add("two")
    assert (first, later) == ([*header_lines(), "one"], ["two"])
    bare = Page(Smdr(page_length=0, header=False))
    assert bare.add("one")[0] == ["one"]


def test_a_page_too_short_for_its_header_is_refused_by_name() -> None:
    with pytest.raises(ValidationError, match="page_length must be 0 or at least"):
        Smdr(page_length=5, skip_perforation=2)
