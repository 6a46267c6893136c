"""Department queues as bookkeeping: order, waiting, who answers next, and the service level."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware.config.inbound import Department
from firmware.routing.departments import members_free
from firmware.routing.queue import (
    Full,
    QueueState,
    ServiceLevel,
    longest_idle,
    next_announcement,
    wrapping,
    wrapping_members,
)


def test_first_come_first_served_with_a_limit() -> None:
    queue = QueueState(max_length=3)
    assert [queue.join(c, now) for c, now in (("a", 0), ("b", 5), ("c", 9))] == [1, 2, 3]
    assert queue.join("d", 10) == Full(3)
    assert queue.join("b", 11) == 2  # joining again keeps the place
    queue.leave("a")
    assert [queue.position(c) for c in "abcd"] == [None, 1, 2, None]
    assert queue.join("d", 12) == 3
    queue.leave("zzz")
    assert [w.caller_id for w in queue.callers] == ["b", "c", "d"]


def test_waiting_and_over_time() -> None:
    queue = QueueState(max_length=10)
    queue.join("a", 0)
    queue.join("b", 50)
    assert (queue.waited("a", 120), queue.waited("b", 120), queue.waited("x", 120)) == (
        120,
        70,
        None,
    )
    assert queue.over_time(119, 120) == []
    assert queue.over_time(120, 120) == ["a"]
    assert queue.over_time(200, 120) == ["a", "b"]
    assert queue.position("a") == 1  # the engine moves them; the queue only says who


def test_time_left_before_over_time() -> None:
    queue = QueueState(max_length=10)
    queue.join("a", 100)
    assert [queue.over_time_in("a", now, 120) for now in (100, 150, 220, 300)] == [120, 70, 0, 0]
    assert queue.over_time_in("x", 150, 120) is None
    queue.leave("a")
    assert queue.over_time_in("a", 150, 120) is None


@pytest.mark.parametrize(
    ("free", "last_end", "chosen"),
    [
        (["101", "102", "103"], {"101": 50, "102": 10, "103": 30}, "102"),
        (["101", "102", "103"], {"101": 50, "103": 30}, "102"),  # never called: idle longest
        (["101", "102", "103"], {}, "101"),  # ties in config order
        (["103", "101"], {"101": 5, "103": 5}, "103"),
        ([], {"101": 5}, None),
    ],
)
def test_longest_idle(free: list[str], last_end: dict[str, float], chosen: str | None) -> None:
    assert longest_idle(free, last_end) == chosen


@pytest.mark.parametrize(
    ("member", "now", "expected"),
    [("101", 105, True), ("101", 110, False), ("101", 200, False), ("102", 100, False)],
)
def test_wrap_up(member: str, now: float, expected: bool) -> None:
    assert wrapping(member, {"101": 100}, 10, now) is expected


def test_a_member_who_just_hung_up_is_not_offered_the_next_caller_until_wrap_up_ends() -> None:
    """A (101) hung up at 100, B (102) at 90; wrap_up is 5 s. Who takes the next caller."""
    support = Department(number="700", name="Support", members=["101", "102"])
    last_end = {"101": 100.0, "102": 90.0}

    def next_member(busy: set[str], now: float) -> str | None:
        held = wrapping_members(support.members, last_end, 5, now)
        free = members_free(support, busy, set(), held, {"101", "102"})
        return longest_idle(free, last_end)

    assert wrapping_members(support.members, last_end, 5, 94.9) == {"101", "102"}
    assert wrapping_members(support.members, last_end, 5, 100.0) == {"101"}
    assert next_member(set(), 100.0) == "102"
    assert next_member({"102"}, 100.0) is None  # A is writing up, B is on a call
    assert next_member({"102"}, 104.9) is None
    assert next_member({"102"}, 105.0) == "101"  # A's wrap-up is over
    assert wrapping_members(support.members, last_end, 0, 100.0) == set()


def test_service_level_counts_answers_within_the_target_against_all_offered() -> None:
    level = ServiceLevel()
    assert level.percent is None
    for _ in range(4):
        level.record_offer()
    for waited in (10, 15, 20):
        level.record_answer(waited, service_level=15)
    assert (level.offered, level.answered, level.answered_within) == (4, 3, 2)
    assert level.percent == 50


@pytest.mark.parametrize(
    ("joined", "now", "every", "expected"),
    [(0, 0, 40, 40), (0, 39.9, 40, 40), (0, 40, 40, 80), (100, 200, 40, 220), (100, 50, 40, 140)],
)
def test_next_announcement(joined: float, now: float, every: float, expected: float) -> None:
    assert next_announcement(joined, now, every) == expected


@given(st.integers(0, 10_000), st.integers(0, 10_000), st.integers(1, 600))
def test_announcements_come_after_now_at_whole_periods(joined: int, now: int, every: int) -> None:
    due = next_announcement(joined, now, every)
    assert due > now
    assert (due - joined) % every == 0
    assert due - every <= max(now, joined)
