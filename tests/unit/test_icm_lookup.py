"""Walking ICM's sources in order, and a CRM lookup the engine stops waiting for."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from firmware.config import Config, parse_config
from firmware.explain_inbound import icm_decision
from firmware.icm_lookup import IcmLookup, Pending, needs_crm, walk
from firmware.routing.icm import IcmRules, Presence, SourceAnswer
from firmware.store.db import connect
from tests.support.crm_standin import CrmStandin
from tests.unit.test_icm import AT, EXPLAINED, customer_called

RULES = IcmRules(
    sources=("amocrm", "history", "bitrix24"),
    extensions=frozenset({"101", "102", "103"}),
    exceptions=frozenset({"101"}),
)
NUMBER = "74951234567"


def asked_in_order(answers: dict[str, SourceAnswer]) -> tuple[list[str], list[SourceAnswer]]:
    asked: list[str] = []

    def ask(source: str) -> SourceAnswer:
        asked.append(source)
        return answers[source]

    return asked, walk(RULES, {"history": answers["history"]}, ask)


def test_the_walk_asks_in_order_and_stops_at_the_first_manager() -> None:
    asked, answers = asked_in_order(
        {
            "amocrm": SourceAnswer("amocrm"),
            "history": SourceAnswer("history", "102"),
            "bitrix24": SourceAnswer("bitrix24", "103"),
        }
    )
    assert asked == ["amocrm"]  # history was known, bitrix24 never needed
    assert [(a.source, a.extension) for a in answers] == [("amocrm", None), ("history", "102")]


def test_an_exception_does_not_stop_the_walk() -> None:
    asked, answers = asked_in_order(
        {
            "amocrm": SourceAnswer("amocrm", "101"),
            "history": SourceAnswer("history"),
            "bitrix24": SourceAnswer("bitrix24", "103"),
        }
    )
    assert asked == ["amocrm", "bitrix24"]
    assert answers[-1].extension == "103"


def test_the_crm_is_asked_only_when_the_walk_reaches_it() -> None:
    history_first = IcmRules(**{**RULES.__dict__, "sources": ("history", "amocrm")})
    found = {"history": SourceAnswer("history", "102")}
    assert not needs_crm(history_first, found)
    assert needs_crm(history_first, {"history": SourceAnswer("history")})
    assert needs_crm(RULES, found)  # amocrm comes before history
    only_history = IcmRules(**{**RULES.__dict__, "sources": ("history",)})
    assert not needs_crm(only_history, {"history": SourceAnswer("history")})


def test_when_time_is_up_the_source_being_asked_failed_and_history_still_counts() -> None:
    rules = IcmRules(**{**RULES.__dict__, "sources": ("amocrm", "bitrix24", "history")})
    pending = Pending(rules, NUMBER, {"history": SourceAnswer("history", "102")})
    pending.asking("amocrm")
    answers = pending.answers(1.5)
    assert [(a.source, a.error, a.detail) for a in answers] == [
        ("amocrm", "timeout", "no answer within 1.5 s"),
        ("bitrix24", "timeout", "no time left after no answer within 1.5 s"),
        ("history", None, ""),
    ]
    assert answers[-1].extension == "102"
    assert pending.abandoned.is_set()  # the worker asks nothing more


def test_answers_that_came_in_time_are_kept() -> None:
    pending = Pending(RULES, NUMBER, {"history": SourceAnswer("history")})
    pending.record(SourceAnswer("amocrm", "101"))
    pending.asking("bitrix24")
    answers = pending.answers(1.0)
    assert [(a.source, a.extension, a.error) for a in answers] == [
        ("amocrm", "101", None),
        ("history", None, None),
        ("bitrix24", None, "timeout"),
    ]


@pytest.fixture
def crm() -> Iterator[CrmStandin]:
    with CrmStandin(contacts={NUMBER: ("7", None, "Anna Kuznetsova")}) as standin:
        yield standin


def crm_first(crm: CrmStandin, timeout: float = 1.5, office: str = EXPLAINED) -> Config:
    """The explained office (or ``office``) with amoCRM asked before the box's history."""
    return parse_config(
        office.replace("[icm]\n", f'[icm]\nsources = ["amocrm", "history"]\ntimeout = {timeout}\n')
        + f'\n[icm.amocrm]\nurl = "{crm.url}"\ntoken = "{crm.amo_token}"\n'
        + 'users = { "7" = "102" }\n'
    )


HERE = Presence(registered=frozenset({"101", "102"}))


def test_the_crm_answers_first_and_its_user_is_mapped_to_an_extension(crm: CrmStandin) -> None:
    store = connect(":memory:")
    customer_called(store, "101", days_ago=3)
    decided = icm_decision(crm_first(crm), "1234567", store=store, at=AT, presence=HERE)
    assert (decided["action"], decided["source"], decided["extension"]) == ("ring", "amocrm", "102")
    assert [(e["source"], e["verdict"]) for e in decided["trail"]] == [
        ("amocrm", "chosen"),
        ("history", "not_consulted"),
    ]
    assert [r.path for r in crm.requests] == ["/api/v4/contacts"]


def test_offline_asks_no_crm_and_history_decides(crm: CrmStandin) -> None:
    store = connect(":memory:")
    customer_called(store, "101", days_ago=3)
    decided = icm_decision(
        crm_first(crm), "1234567", store=store, at=AT, presence=HERE, offline=True
    )
    assert (decided["source"], decided["extension"]) == ("history", "101")
    assert decided["trail"][0] == {
        "source": "amocrm",
        "verdict": "not_consulted",
        "why": "not asked (--offline)",
        "extension": None,
    }
    assert crm.requests == []


def test_a_crm_slower_than_the_timeout_is_passed_by_for_the_history(crm: CrmStandin) -> None:
    crm.slow = 30.0
    store = connect(":memory:")
    customer_called(store, "101", days_ago=3)
    config = crm_first(crm, timeout=0.3)
    decided = icm_decision(config, "1234567", store=store, at=AT, presence=HERE)
    assert (decided["source"], decided["extension"]) == ("history", "101")
    assert decided["trail"][0]["verdict"] == "failed"
    assert decided["trail"][0]["why"].startswith("timeout: ")


def test_status_shows_each_crm_as_it_has_answered(crm: CrmStandin) -> None:
    config = crm_first(crm)
    assert config.icm is not None
    lookup = IcmLookup(config.icm, clock=lambda: 100.0)
    rules = IcmRules.of(config)
    store = connect(":memory:")
    lookup.ask(rules, "1234567", store=store, now=AT)
    crm.fail_next(429)
    lookup.ask(rules, "+7 495 000-00-00", store=store, now=AT)
    status = lookup.status()["amocrm"]
    lookup.close()
    assert (status["active"], status["lookups"], status["failures"]) == (True, 2, 1)
    assert status["last_error"].startswith("rate_limited")
    assert (status["last_success_ago_s"], status["last_error_ago_s"]) == (0.0, 0.0)


def test_a_crm_whose_secret_file_cannot_be_read_says_so_and_is_skipped(tmp_path) -> None:
    config = parse_config(
        EXPLAINED.replace("[icm]\n", '[icm]\nsources = ["amocrm", "history"]\n')
        + f'\n[icm.amocrm]\nurl = "http://127.0.0.1:9"\ntoken_file = "{tmp_path}/gone"\n'
    )
    store = connect(":memory:")
    customer_called(store, "101", days_ago=3)
    decided = icm_decision(config, "1234567", store=store, at=AT, presence=HERE)
    assert decided["extension"] == "101"
    assert decided["trail"][0]["verdict"] == "failed"
    assert f"{tmp_path}/gone" in decided["trail"][0]["why"]
    assert config.icm is not None
    assert "cannot read" in IcmLookup(config.icm).status()["amocrm"]["last_error"]
