"""ICM's configuration and its decision: which manager a returning caller reaches."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from firmware.config import ConfigError, parse_config
from firmware.config.sample import sample_office
from firmware.explain_inbound import explain_call, icm_decision, render
from firmware.routing.icm import IcmRules, Presence, SourceAnswer, Verdict, decide
from firmware.routing.outcome import Disposition, Party
from firmware.store.cdr import CallEnd, CallRecords
from firmware.store.db import connect
from tests.unit.offices import CITY_TRUNK, IVAN, OLGA, RECEPTION

OFFICE = (
    """\
[system]
sip_domain = "pbx.local"
area_code = "495"

"""
    + RECEPTION
    + IVAN
    + OLGA
    + """
[[scenarios]]
name = "main"
steps = [{ kind = "icm" }, { kind = "dial", target = "extension:100" }]
"""
)


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as err:
        parse_config(text, "pbx.toml")
    return err.value.render().splitlines()


def test_icm_defaults_to_the_box_history_on_6100() -> None:
    icm = parse_config(OFFICE + "\n[icm]\n").icm
    assert icm is not None
    assert (icm.number, icm.sources, icm.history_days, icm.ring_mobile) == (
        "6100",
        ["history"],
        90,
        False,
    )


def test_an_icm_step_needs_an_icm_section() -> None:
    assert problems(OFFICE) == [
        "pbx.toml:20: scenarios[0].steps[0].kind: an icm step needs an [icm] section"
    ]


def test_icm_mistakes_are_reported_at_their_keys() -> None:
    bad = (
        OFFICE
        + """
[icm]
number = "101"
sources = ["history", "amocrm"]
exceptions = ["107"]
"""
    )
    assert problems(bad) == [
        "pbx.toml:23: icm.number: 101 is already an extension",
        "pbx.toml:25: icm.exceptions[0]: no extension 107",
        "pbx.toml:24: icm.sources[1]: amocrm is listed but has no [icm.amocrm]",
    ]


RULES = IcmRules(
    sources=("history", "amocrm"),
    extensions=frozenset({"100", "101", "102"}),
    exceptions=frozenset({"100"}),
    area_codes=("495",),
)
HERE = Presence(registered=frozenset({"100", "101", "102"}))


@pytest.mark.parametrize("dialed", ["+7 495 123-45-67", "8 495 1234567", "1234567", "74951234567"])
def test_a_customer_is_one_number_however_the_operator_delivers_it(dialed: str) -> None:
    assert RULES.customer_number(dialed) == "74951234567"


def test_an_extension_or_anonymous_caller_is_no_customer() -> None:
    assert RULES.customer_number("anonymous") is None
    assert RULES.customer_number("101") is None


def test_the_first_source_that_names_a_manager_wins() -> None:
    answers = [SourceAnswer("history", "101"), SourceAnswer("amocrm", "102")]
    decision = decide("+74951234567", "74951234567", answers, RULES, HERE)
    assert (decision.action, decision.extension, decision.source) == ("ring", "101", "history")
    assert [(e.source, e.verdict) for e in decision.trail] == [
        ("history", Verdict.CHOSEN),
        ("amocrm", Verdict.NOT_CONSULTED),
    ]


def test_an_exception_counts_as_not_found_and_the_next_source_is_asked() -> None:
    answers = [SourceAnswer("history", "100"), SourceAnswer("amocrm", "102")]
    decision = decide("+74951234567", "74951234567", answers, RULES, HERE)
    assert (decision.action, decision.extension, decision.source) == ("ring", "102", "amocrm")
    assert decision.trail[0].verdict is Verdict.SKIPPED
    assert decision.trail[0].why == "100 is in icm.exceptions"


def test_a_busy_manager_sends_the_call_on_and_the_trail_says_why() -> None:
    busy = Presence(registered=HERE.registered, busy=frozenset({"101"}))
    answers = [SourceAnswer("history", "101"), SourceAnswer("amocrm", "102")]
    decision = decide("+74951234567", "74951234567", answers, RULES, busy)
    assert (decision.action, decision.extension) == ("next", "101")
    assert (decision.trail[0].verdict, decision.trail[0].why) == (
        Verdict.SKIPPED,
        "busy on another call",
    )


def test_nothing_found_goes_to_the_default_else_the_next_step() -> None:
    answers = [SourceAnswer("history"), SourceAnswer("amocrm", error="timeout")]
    assert decide("x", "74951234567", answers, RULES, HERE).action == "next"
    with_default = IcmRules(**{**RULES.__dict__, "default": "extension:100"})
    decision = decide("x", "74951234567", answers, with_default, HERE)
    assert (decision.action, decision.target) == ("default", "extension:100")
    assert [e.verdict for e in decision.trail] == [Verdict.NOT_FOUND, Verdict.FAILED]


EXPLAINED = (
    OFFICE
    + CITY_TRUNK
    + """
[[numbers]]
number = "+7 495 111-00-00"
trunk = "city"
scenario = "main"

[icm]
exceptions = ["100"]
"""
)
AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def customer_called(store: sqlite3.Connection, answered_by: str, days_ago: int) -> None:
    records = CallRecords(store)
    at = AT - timedelta(days=days_ago)
    rid = records.open(
        call_id=f"c{days_ago}",
        caller="+74951234567",
        callee="+74951110000",
        at=at,
        direction="inbound",
    )
    records.answered(rid, answered_by, at=at)
    records.close(rid, CallEnd(Disposition.ANSWERED, Party.CALLER), at=at + timedelta(minutes=2))


def test_explain_shows_what_icm_would_decide_for_the_caller_now() -> None:
    config = parse_config(EXPLAINED)
    store = connect(":memory:")
    customer_called(store, "102", days_ago=100)  # older than the 90-day window
    customer_called(store, "101", days_ago=30)
    answer = explain_call(
        config, "+74951110000", caller="1234567", at=AT, override=None, override_note="none"
    )
    here = Presence(registered=frozenset({"101", "102"}))
    answer["icm"] = icm_decision(config, "1234567", store=store, at=AT, presence=here)
    assert render(answer).splitlines()[-4:] == [
        "  1. icm: rings the manager its sources (history) name for the caller, 20 s; "
        "nobody found, busy or no answer: the next step",
        "  2. dial extension 100 (Reception), rings 30 s",
        "icm for this caller now: rings 101 (from history)",
        "  history: chosen 101 (last talked with them within 90 days)",
    ]
    away = icm_decision(config, "1234567", store=store, at=AT, presence=Presence())
    assert away["says"] == (
        "found 101 (from history), who cannot take it now (offline (no phone registered)): "
        "the next step"
    )


def test_the_sample_office_has_icm_by_day_and_its_commented_crms_are_valid() -> None:
    text = sample_office()
    config = parse_config(text)
    assert config.icm is not None
    assert config.icm.sources == ["history"]
    [day] = [s for s in config.scenarios if s.name == "day"]
    assert [step.kind for step in day.steps][:2] == ["greeting", "icm"]
    start, end = text.index("# [icm.amocrm]"), text.index("[[scenarios]]")
    uncommented = [
        line.removeprefix("# ").removeprefix("#") for line in text[start:end].split("\n")
    ]
    crms = parse_config(text[:start] + "\n".join(uncommented) + text[end:]).icm
    assert crms is not None
    assert None not in (crms.amocrm, crms.bitrix24, crms.megaplan)


def test_crm_users_are_named_by_their_id() -> None:
    bad = (
        OFFICE
        + '\n[icm]\n\n[icm.bitrix24]\nwebhook = "https://x.bitrix24.ru/rest/1/abc/"\n'
        + 'users = { "ivan@office.ru" = "101" }\n'
    )
    assert problems(bad) == [
        "pbx.toml:26: icm.bitrix24.users.ivan@office.ru.[key]: 'ivan@office.ru': give the CRM "
        "user's id (digits), as its user list shows it"
    ]
