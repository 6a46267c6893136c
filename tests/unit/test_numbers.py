"""Numbers dialed in a Moscow and a Berlin office, written the ways people write them."""

from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from firmware.routing.numbers import (
    NumberClass,
    NumberError,
    NumberPlan,
    ReadNumber,
    normalise,
    read_number,
)

MOSCOW = NumberPlan("RU", "495", frozenset({"100", "101", "102", "103", "104", "105"}))
BERLIN = NumberPlan("DE", "30", frozenset({"20", "21", "22"}))

INTERNAL = NumberClass.INTERNAL
EMERGENCY = NumberClass.EMERGENCY
LOCAL = NumberClass.LOCAL
LONG_DISTANCE = NumberClass.LONG_DISTANCE
MOBILE = NumberClass.MOBILE
INTERNATIONAL = NumberClass.INTERNATIONAL
SERVICE = NumberClass.SERVICE

MOSCOW_NUMBERS = [
    # a subscriber number gets the office's area code
    ("1234567", "+74951234567", LOCAL),
    ("937-12-34", "+74959371234", LOCAL),
    ("8 (495) 937-12-34", "+74959371234", LOCAL),
    ("+7 495 937-12-34", "+74959371234", LOCAL),
    ("7 495 937 12 34", "+74959371234", LOCAL),
    ("495 937 12 34", "+74959371234", LOCAL),
    # other area codes, in every notation
    ("8 (812) 315-12-34", "+78123151234", LONG_DISTANCE),
    ("+7 812 315-12-34", "+78123151234", LONG_DISTANCE),
    ("7 812 315 12 34", "+78123151234", LONG_DISTANCE),
    ("8 343 371-12-34", "+73433711234", LONG_DISTANCE),
    ("+7 (343) 371-12-34", "+73433711234", LONG_DISTANCE),
    ("7 343 3711234", "+73433711234", LONG_DISTANCE),
    ("8 499 123-45-67", "+74991234567", LONG_DISTANCE),  # Moscow too, but another code
    # mobiles, wherever they are
    ("+7 916 123-45-67", "+79161234567", MOBILE),
    ("8 903 123-45-67", "+79031234567", MOBILE),
    ("8-925-555-01-23", "+79255550123", MOBILE),
    ("79161234567", "+79161234567", MOBILE),
    # abroad: the old 810, the new 00, and +
    ("810 49 30 1234567", "+49301234567", INTERNATIONAL),
    ("00 49 30 1234567", "+49301234567", INTERNATIONAL),
    ("+49 30 1234567", "+49301234567", INTERNATIONAL),
    ("810 44 20 7946 0958", "+442079460958", INTERNATIONAL),
    ("00 33 1 23 45 67 89", "+33123456789", INTERNATIONAL),
    ("8 7172 12 34 56", "+77172123456", INTERNATIONAL),  # Astana shares +7
    # freephone and premium rate
    ("8 800 555-35-35", "+78005553535", SERVICE),
    ("+7 800 555 35 35", "+78005553535", SERVICE),
    ("8 809 123 45 67", "+78091234567", SERVICE),
    # emergency, also the old two-digit numbers; 101..104 are extensions too
    ("112", "112", EMERGENCY),
    ("101", "101", EMERGENCY),
    ("102", "102", EMERGENCY),
    ("103", "103", EMERGENCY),
    ("104", "104", EMERGENCY),
    ("01", "01", EMERGENCY),
    ("02", "02", EMERGENCY),
    ("03", "03", EMERGENCY),
    ("04", "04", EMERGENCY),
    ("1120", "112", EMERGENCY),  # the network connects on 112
    ("01 23", "01", EMERGENCY),
    # the office's own
    ("100", "100", INTERNAL),
    ("105", "105", INTERNAL),
]

BERLIN_NUMBERS = [
    ("2639 4012", "+493026394012", LOCAL),
    ("030 2639 4012", "+493026394012", LOCAL),
    ("(030) 2639-4012", "+493026394012", LOCAL),
    ("030/26394012", "+493026394012", LOCAL),
    ("+49 30 2639 4012", "+493026394012", LOCAL),
    ("0049 30 2639 4012", "+493026394012", LOCAL),
    ("089 2180 2700", "+498921802700", LONG_DISTANCE),
    ("+49 89 2180 2700", "+498921802700", LONG_DISTANCE),
    ("0049 89 21802700", "+498921802700", LONG_DISTANCE),
    ("0700 1234 5678", "+4970012345678", LONG_DISTANCE),  # personal number: no area
    ("0151 2345 6789", "+4915123456789", MOBILE),
    ("0171 234 5678", "+491712345678", MOBILE),
    ("+49 171 2345678", "+491712345678", MOBILE),
    ("0800 111 0 111", "+498001110111", SERVICE),
    ("0900 1 234567", "+499001234567", SERVICE),
    ("0180 5 123456", "+491805123456", SERVICE),
    ("11833", "11833", SERVICE),
    ("115", "115", SERVICE),
    ("116 116", "116116", SERVICE),
    ("110", "110", EMERGENCY),
    ("112", "112", EMERGENCY),
    ("1101", "110", EMERGENCY),
    ("0033 1 23 45 67 89", "+33123456789", INTERNATIONAL),
    ("+33 1 23 45 67 89", "+33123456789", INTERNATIONAL),
    ("007 495 937 12 34", "+74959371234", INTERNATIONAL),
    ("20", "20", INTERNAL),
    ("22", "22", INTERNAL),
]


def assert_reads(number: ReadNumber, normal: str, number_class: NumberClass) -> None:
    if normal.startswith("+"):
        assert (number.e164, number.short) == (normal, None)
    else:
        assert (number.e164, number.short) == (None, normal)
    assert number.number_class == number_class
    assert number.normal == normal


@pytest.mark.parametrize(("text", "normal", "number_class"), MOSCOW_NUMBERS)
def test_moscow_office_reads(text: str, normal: str, number_class: NumberClass) -> None:
    assert_reads(read_number(text, MOSCOW), normal, number_class)


@pytest.mark.parametrize(("text", "normal", "number_class"), BERLIN_NUMBERS)
def test_berlin_office_reads(text: str, normal: str, number_class: NumberClass) -> None:
    assert_reads(read_number(text, BERLIN), normal, number_class)


def test_number_classes_are_the_words_of_the_cdr_and_config() -> None:
    assert [c.value for c in NumberClass] == [
        "internal",
        "emergency",
        "local",
        "long_distance",
        "mobile",
        "international",
        "service",
    ]


def test_an_extension_numbered_like_an_emergency_number_never_rings() -> None:
    assert "101" in MOSCOW.extensions
    assert read_number("101", MOSCOW).number_class == EMERGENCY


def test_an_extension_that_only_begins_with_an_emergency_number_rings() -> None:
    plan = dataclasses.replace(BERLIN, extensions=frozenset({"1101"}))
    assert_reads(read_number("1101", plan), "1101", INTERNAL)
    assert_reads(read_number("1102", plan), "110", EMERGENCY)


def test_the_speaking_clock_is_a_service_where_100_is_no_extension() -> None:
    plan = dataclasses.replace(MOSCOW, extensions=frozenset())
    assert_reads(read_number("100", plan), "100", SERVICE)


def test_without_an_area_code_a_subscriber_number_means_nothing() -> None:
    plan = NumberPlan("RU", "")
    with pytest.raises(NumberError, match="is too short to be a number in RU"):
        read_number("937 12 34", plan)
    assert_reads(read_number("8 495 937 12 34", plan), "+74959371234", LONG_DISTANCE)


def test_what_a_person_is_shown() -> None:
    local = read_number("9371234", MOSCOW)
    assert (local.display, local.region) == ("8 (495) 937-12-34", "RU")
    assert local.description == "fixed line in RU, area code 495"
    abroad = read_number("810 49 30 1234567", MOSCOW)
    assert (abroad.display, abroad.region) == ("+49 30 1234567", "DE")
    assert read_number("8 916 123 45 67", MOSCOW).description == "mobile in RU"
    assert read_number("103", MOSCOW).description == "emergency number"
    extension = read_number("105", MOSCOW)
    assert (extension.region, extension.description) == (None, "extension")


GARBAGE = [
    (MOSCOW, "12ab", "'12ab' is not a phone number: letters are not allowed"),
    (MOSCOW, "8 495 ДОМ", "letters are not allowed"),
    (MOSCOW, "", "'' is not a phone number: it is empty"),
    (MOSCOW, " - ", "it is empty"),
    (MOSCOW, "+", "'+' is not a phone number: there are no digits after '+'"),
    (MOSCOW, "12+34", "'+' may only come first"),
    (MOSCOW, "*72", "'*' is not allowed"),
    (MOSCOW, "+7495", "'+7495' is too short to be a number in RU"),
    (MOSCOW, "8 495", "is too short to be a number in RU"),
    (MOSCOW, "1", "'1' is too short to be a phone number"),
    (MOSCOW, "+7", "too short"),
    (MOSCOW, "+7 495 123456789012", "is too long to be a number in RU"),
    (MOSCOW, "+7 495 1234567890", "has the wrong number of digits for a number in RU"),
    (MOSCOW, "+7 495 123 45 67 89 01 23 45 67", "is too long to be a phone number"),
    (MOSCOW, "8 495 123 45 678", "has the wrong number of digits for a number in RU"),
    (MOSCOW, "+999 123456", "does not start with a country code"),
    (BERLIN, "0151 1234567", "'0151 1234567' is not a number in use in DE"),
    (BERLIN, "+49 30", "'+49 30' is too short to be a number in DE"),
]


@pytest.mark.parametrize(("plan", "text", "message"), GARBAGE)
def test_what_cannot_be_a_number_is_refused_with_a_reason(
    plan: NumberPlan, text: str, message: str
) -> None:
    with pytest.raises(NumberError) as refused:
        read_number(text, plan)
    assert message in str(refused.value)
    assert isinstance(refused.value, ValueError)


@pytest.mark.parametrize(
    ("region", "area_code", "extensions", "message"),
    [
        ("XX", "495", frozenset(), "unknown region 'XX'"),
        ("ru", "495", frozenset(), "unknown region 'ru'"),
        ("RU", "(495)", frozenset(), "area code '(495)' must be digits only"),
        ("RU", "495", frozenset({"100", "10a"}), "extensions must be digits only: '10a'"),
    ],
)
def test_a_plan_that_cannot_work_is_refused(
    region: str, area_code: str, extensions: frozenset[str], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        NumberPlan(region, area_code, extensions)


DIGITS = "0123456789"


def digit_strings(size: int) -> st.SearchStrategy[str]:
    return st.text(DIGITS, min_size=size, max_size=size)


def prefixed(prefixes: list[str], sizes: tuple[int, int]) -> st.SearchStrategy[str]:
    tail = st.integers(*sizes).flatmap(digit_strings)
    return st.tuples(st.sampled_from(prefixes), tail).map("".join)


MOSCOW_DIALS = st.one_of(
    prefixed([""], (2, 4)),
    prefixed(["", "1", "2", "9"], (6, 6)),
    prefixed(["8", "+7", "7"], (10, 10)),
    prefixed(["8495", "8812", "8343", "8916", "8903", "8800", "+7499", "7925"], (7, 7)),
    prefixed(["810", "00", "+"], (9, 12)),
    prefixed(["81049", "0033", "+44", "8107"], (8, 10)),
    prefixed([""], (1, 15)),
)
BERLIN_DIALS = st.one_of(
    prefixed([""], (2, 6)),
    prefixed(["2", "3", "4", "5", "9"], (6, 7)),
    prefixed(["030", "089", "0151", "0171", "0800", "0900", "0180", "0700"], (6, 8)),
    prefixed(["+49", "0049", "0"], (8, 11)),
    prefixed(["00", "+"], (9, 12)),
    prefixed([""], (1, 15)),
)
PLACES = st.one_of(
    st.tuples(st.just(MOSCOW), MOSCOW_DIALS),
    st.tuples(st.just(BERLIN), BERLIN_DIALS),
)


def accepted(plan: NumberPlan, text: str) -> ReadNumber:
    try:
        return read_number(text, plan)
    except NumberError:
        assume(False)
        raise


@settings(deadline=None, max_examples=300)
@given(PLACES)
def test_normalising_twice_changes_nothing(place: tuple[NumberPlan, str]) -> None:
    plan, text = place
    first = accepted(plan, text)
    again = read_number(first.normal, plan)
    assert again.normal == first.normal == normalise(text, plan)
    assert normalise(first.normal, plan) == first.normal
    assert again.number_class == first.number_class


@settings(deadline=None, max_examples=300)
@given(PLACES, st.data())
def test_spaces_dashes_and_parentheses_change_nothing(
    place: tuple[NumberPlan, str], data: st.DataObject
) -> None:
    plan, text = place
    plain = accepted(plan, text)
    separators = st.lists(st.sampled_from([" ", "-", ".", "(", ")", " - ", "\u2013"]))
    gaps = ["".join(g) for g in data.draw(st.lists(separators, min_size=len(text) + 1))]
    written = gaps[0] + "".join(c + gap for c, gap in zip(text, gaps[1:], strict=False))
    assert dataclasses.replace(read_number(written, plan), text=text) == plain


@settings(deadline=None, max_examples=300)
@given(st.sampled_from([MOSCOW, BERLIN]), st.text(DIGITS + "+ -()*#.", max_size=20))
def test_anything_typed_is_read_or_refused_with_a_number_error(plan: NumberPlan, text: str) -> None:
    try:
        read_number(text, plan)
    except NumberError as refused:
        assert repr(text) in str(refused)
