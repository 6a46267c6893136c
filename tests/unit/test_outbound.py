"""Outbound rules: what each extension may dial, on which line, as whom, and how often."""

from __future__ import annotations

import pytest

from firmware import explain
from firmware.config import ConfigError, parse_config
from firmware.routing.dialplan import RingExtension
from firmware.routing.lines import LineQueue, LineRequest, LineState, NoLine, choose_trunk
from firmware.routing.numbers import NumberClass
from firmware.routing.outbound import (
    CallOut,
    caller_id,
    limit_refusal,
    number_for_trunk,
    route_dialed,
)
from firmware.routing.outcome import Refusal

OFFICE = """\
[system]
sip_domain = "pbx.local"
region = "RU"
area_code = "495"

[outbound]
allow = ["local", "long_distance", "mobile", "service"]

[[extensions]]
number = "101"
name = "Manager"
password = "Manager-Secret-1"
caller_id = "+74951110001"

[[extensions]]
number = "102"
name = "Lobby"
password = "Lobby-Secret-xyz"
outbound = { trunks = ["line1"], allow = ["local"], max_calls = 1, max_per_hour = 5 }

[[extensions]]
number = "103"
name = "Director"
password = "Director-Secret"
outbound = { allow = ["local", "long_distance", "mobile", "international"] }

[[trunks]]
name = "city"
kind = "sip"
host = "sip.provider.test"
username = "74951110000"
password = "trunk-secret"
channels = 2
caller_id = "+74951110000"
extension_caller_id = true

[[trunks]]
name = "line1"
kind = "fxo"
username = "fxo1"
password = "fxo-secret-1"
caller_id = "+74957770000"

[[trunks]]
name = "adverts"
kind = "sip"
host = "sip.provider.test"
username = "74952220000"
password = "trunk-secret"
inbound_only = true

[[numbers]]
number = "+7 495 111-00-00"
trunk = "city"
destination = "101"
"""

CONFIG = parse_config(OFFICE)


def out(dialed: str, caller: str = "101") -> CallOut:
    decision = route_dialed(CONFIG, caller=caller, dialed=dialed)
    assert isinstance(decision, CallOut), decision
    return decision


def refused(dialed: str, caller: str = "101") -> Refusal:
    decision = route_dialed(CONFIG, caller=caller, dialed=dialed)
    assert isinstance(decision, Refusal), decision
    return decision


def test_extensions_still_ring_each_other() -> None:
    assert route_dialed(CONFIG, caller="101", dialed="102") == RingExtension("102", "Lobby", 30)


@pytest.mark.parametrize(
    ("dialed", "e164", "klass"),
    [
        ("91234567", "+74951234567", NumberClass.LOCAL),
        ("984951234567", "+74951234567", NumberClass.LOCAL),
        ("988121234567", "+78121234567", NumberClass.LONG_DISTANCE),
        ("989161234567", "+79161234567", NumberClass.MOBILE),
        ("9+79161234567", "+79161234567", NumberClass.MOBILE),
    ],
)
def test_the_outside_prefix_takes_a_line(dialed: str, e164: str, klass: NumberClass) -> None:
    call = out(dialed)
    assert (call.number.e164, call.number.number_class) == (e164, klass)
    assert call.trunks == ("city", "line1")


def test_inbound_only_trunks_are_never_offered_for_outbound() -> None:
    assert "adverts" not in out("91234567").trunks


def test_international_is_barred_until_allowed() -> None:
    refusal = refused("9810493012345678")
    assert (refusal.status, refusal.prompt) == (403, "not_allowed")
    assert "international calls are not allowed for 101" in refusal.why
    assert out("9810493012345678", caller="103").number.number_class is NumberClass.INTERNATIONAL


def test_a_lobby_phone_only_dials_local_on_its_own_line() -> None:
    assert out("91234567", caller="102").trunks == ("line1",)
    assert "mobile calls are not allowed for 102" in refused("989161234567", caller="102").why


@pytest.mark.parametrize("dialed", ["112", "9112", "9101", "9103", "01"])
def test_emergency_always_goes_out_on_every_line(dialed: str) -> None:
    call = out(dialed, caller="102")
    assert call.emergency
    assert call.trunks == ("line1", "city", "adverts")


def test_extension_101_rings_the_extension_not_the_fire_service() -> None:
    """In RU 101 is the fire service; an office that numbers an extension 101 reaches it with 9."""
    decision = route_dialed(CONFIG, caller="102", dialed="101")
    assert isinstance(decision, RingExtension)


def test_unreadable_numbers_get_a_clear_refusal() -> None:
    refusal = refused("912ab")
    assert (refusal.status, refusal.prompt) == (484, "number_invalid")
    assert "letters are not allowed" in refusal.why


def test_without_the_prefix_a_national_number_is_no_extension() -> None:
    assert refused("84951234567").status == 404


def test_direct_national_dialing_when_configured() -> None:
    config = parse_config(
        OFFICE.replace("[outbound]", "[dialing]\ndirect_national = true\n\n[outbound]")
    )
    decision = route_dialed(config, caller="101", dialed="84951234567")
    assert isinstance(decision, CallOut) and decision.number.e164 == "+74951234567"


def test_toll_fraud_limits() -> None:
    rules = CONFIG.outbound_for(CONFIG.extension("102"))
    assert limit_refusal(rules, active=0, last_hour=4) is None
    assert "1 simultaneous" in limit_refusal(rules, active=1, last_hour=0).why
    assert "5 outside calls per hour" in limit_refusal(rules, active=0, last_hour=5).why


def test_caller_id_is_the_extensions_own_where_the_trunk_allows() -> None:
    assert caller_id(CONFIG, "101", "city") == "+74951110001"
    assert caller_id(CONFIG, "102", "city") == "+74951110000"
    assert caller_id(CONFIG, "101", "line1") == "+74957770000"


def test_least_busy_trunk_first_then_in_turn() -> None:
    lines = {"a": LineState(True, 1, 2), "b": LineState(True, 0, 2), "c": LineState(True, 0, 2)}
    assert choose_trunk(("a", "b", "c"), lines, turn=0) == "b"
    assert choose_trunk(("a", "b", "c"), lines, turn=1) == "c"
    assert choose_trunk(("a",), lines, turn=0) == "a"


def test_down_and_full_trunks_are_skipped() -> None:
    lines = {"a": LineState(False, 0, 2, "403 Forbidden"), "b": LineState(True, 1, 1)}
    assert choose_trunk(("a", "b"), lines, turn=0) is NoLine.ALL_BUSY
    lines["b"] = LineState(False, 0, 1)
    assert choose_trunk(("a", "b"), lines, turn=0) is NoLine.ALL_DOWN


def test_line_queue_is_first_come_first_served_per_trunk() -> None:
    queue = LineQueue()
    queue.add(LineRequest("101", "+74951234567", ("city",), 0, 600, record=1))
    queue.add(LineRequest("102", "+74951234568", ("line1",), 1, 601, record=2))
    queue.add(LineRequest("103", "+74951234569", ("city", "line1"), 2, 602, record=3))
    assert queue.take_for("line1", now=10).extension == "102"
    assert queue.take_for("line1", now=10).extension == "103"
    assert queue.take_for("line1", now=10) is None
    assert queue.take_for("city", now=10).extension == "101"


def test_line_requests_expire_and_a_new_one_replaces_the_old() -> None:
    queue = LineQueue()
    queue.add(LineRequest("101", "+74951234567", ("city",), 0, 60, record=1))
    queue.add(LineRequest("101", "+74951234568", ("city",), 5, 65, record=2))
    assert [r.record for r in queue.requests] == [2]
    assert [r.record for r in queue.expire(now=70)] == [2]
    assert queue.take_for("city", now=70) is None


def test_config_cross_checks_for_trunks_and_numbers() -> None:
    bad = OFFICE.replace('trunks = ["line1"]', 'trunks = ["adverts", "nope"]').replace(
        'number = "+7 495 111-00-00"', 'number = "+7 495"'
    )
    with pytest.raises(ConfigError) as err:
        parse_config(bad, "pbx.toml")
    text = err.value.render()
    assert "extensions[1].outbound.trunks: trunk 'adverts' is inbound_only" in text
    assert "extensions[1].outbound.trunks: no trunk named 'nope'" in text
    assert "numbers[0].number: '+7 495' is too short" in text


@pytest.mark.parametrize(
    ("fmt", "sent"),
    [("e164", "79161234567"), ("plus", "+79161234567"), ("national", "89161234567")],
)
def test_numbers_are_sent_in_the_lines_format(fmt: str, sent: str) -> None:
    assert number_for_trunk(out("989161234567").number, fmt, "RU") == sent


def test_international_numbers_stay_international_on_an_analog_line() -> None:
    number = out("9810493012345678", caller="103").number
    assert number_for_trunk(number, "national", "RU") == "810493012345678"
    assert number_for_trunk(out("9112").number, "national", "RU") == "112"


def test_explain_without_a_running_engine() -> None:
    answer = explain.from_extension(CONFIG, "101", "91234567", None)
    assert (answer["decision"], answer["e164"], answer["trunks"], answer["trunk_now"]) == (
        "outside",
        "+74951234567",
        ["city", "line1"],
        None,
    )
    assert "not running" in answer["why"]
    lines = {"city": LineState(True, 2, 2), "line1": LineState(False, 0, 1, "x")}
    assert "busy" in explain.from_extension(CONFIG, "101", "91234567", lines)["why"]
    assert explain.read(CONFIG, "8 495 123-45-67")["class"] == "local"
