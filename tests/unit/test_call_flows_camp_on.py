"""Camp-on for an outside line on fake legs: every line busy, the offer, the queued
request, and the callback when the line frees."""

from __future__ import annotations

from firmware.config import parse_config
from firmware.engine.features.outbound.service import Outside
from firmware.routing.outbound import CallOut, route_dialed
from firmware.routing.toneplans import Tone
from tests.support.fake_leg import FakeLeg, Office
from tests.support.office_lines import ANALOG_LINE, outside
from tests.unit.offices import IVAN, OLGA
from tests.unit.test_call_flows import hears

CONFIG = parse_config(
    '[system]\nsip_domain = "pbx.local"\nregion = "RU"\narea_code = "495"\n\n'
    + IVAN
    + OLGA
    + ANALOG_LINE
)
MOBILE = "989161234567"  # 9 for a line, then the number


def dials_out(office: Office, service: Outside, extension: str, dialed: str) -> tuple:
    call, leg = office.call(extension, dialed)
    out = route_dialed(CONFIG, caller=extension, dialed=dialed)
    assert isinstance(out, CallOut)
    call.start(service.place(call, out))
    return call, leg


def line_busy_with_olga() -> tuple:
    """Olga talks on the office's one line: Ivan's call to a mobile finds every line busy."""
    office = Office()
    _, service = outside(CONFIG, office)
    olga_call, olga = dials_out(office, service, "102", "984957654321")
    [far_end] = office.legs
    far_end.answers()
    call, ivan = dials_out(office, service, "101", MOBILE)
    assert (call.state.name, ivan.sent) == ("offering_line", ["respond 200"])
    office.after(0.3)
    [(names, audio, _)] = office.prompts.playing
    assert (names, audio) == (["lines_busy_offer"], ivan.audio)
    office.prompts.done()
    return office, service, call, ivan, olga_call, olga


def test_the_caller_who_takes_the_offer_is_queued_and_told_so() -> None:
    office, service, call, ivan, _, _ = line_busy_with_olga()
    ivan.keys("1")
    assert call.state.name == "queued"
    [(names, _, _)] = office.prompts.playing
    assert names == ["lines_busy_queued"]
    assert office.record(call)["disposition"] == "queued"
    [request] = service.line_queue.requests
    assert (request.extension, request.number, request.record) == (
        "101",
        "+79161234567",
        call.record,
    )
    office.prompts.done()
    office.after(0.4)  # the last word is heard, then the box hangs up
    assert ivan.sent[-1] == "end"


def test_an_offer_not_taken_in_time_plays_busy_and_ends_the_call() -> None:
    office, service, call, ivan, _, _ = line_busy_with_olga()
    office.after(7.9)
    assert call.state.name == "offering_line"
    office.after(0.2)  # [line_queue] offer_timeout
    busy = office.tones[-1]
    assert (call.state.name, busy.tone, busy.heard_by) == ("refusing", Tone.BUSY, [ivan.audio])
    office.after(1.0)  # the fake office's tone time
    assert ivan.sent[-1] == "end 486"
    assert service.line_queue.requests == []


def test_when_the_line_frees_the_queued_caller_is_rung_back_then_the_number_is_dialed() -> None:
    office, _, queued, ivan, _, olga = line_busy_with_olga()
    ivan.keys("1")
    office.prompts.done()
    office.after(0.4)
    olga.hangs_up()  # the line frees: Ivan's phone rings, distinctly
    callback = office.calls[-1]
    back = callback.a_leg
    assert isinstance(back, FakeLeg)
    assert (callback.state.name, back.sent) == (
        "calling_back",
        ["dial sip:101@pbx.local from <sip:79161234567@pbx.local>"],
    )
    assert back.headers == {"Alert-Info": "<urn:alert:service:recall:callback>"}
    assert office.record(callback)["queued_from"] == queued.record
    back.answers()
    warning = office.tones[-1]
    assert (callback.state.name, warning.tone, warning.heard_by) == (
        "warning",
        Tone.WARNING,
        [back.audio],
    )
    office.after(0.9)
    assert office.legs[-1].uri != "sip:89161234567@pbx.local"
    office.after(0.2)  # [line_queue] warning_tone: then the number is dialed on the line
    mobile = office.legs[-1]
    assert (mobile.uri, mobile.headers) == (
        "sip:89161234567@pbx.local",
        {"X-Minipbx-Line": "fxo-city"},
    )
    assert warning.closed
    mobile.answers()
    assert callback.state.name == "talking"
    assert hears(back, mobile) and hears(mobile, back)
    assert callback.trunks == ["city"]


def test_a_callback_nobody_answers_ends_as_not_answered() -> None:
    office, _, _, ivan, _, olga = line_busy_with_olga()
    ivan.keys("1")
    office.prompts.done()
    office.after(0.4)
    olga.hangs_up()
    callback = office.calls[-1]
    back = callback.a_leg
    assert isinstance(back, FakeLeg)
    office.after(29.9)
    assert back.sent[-1:] != ["end"]
    office.after(0.2)  # [calls] ring_timeout
    assert back.sent[-1] == "end"
    record = office.record(callback)
    assert (record["disposition"], record["reason"]) == ("no_answer", "line-free callback")
