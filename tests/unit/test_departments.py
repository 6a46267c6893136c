"""Ring plans of departments: who rings when under each strategy, and who is free to ring."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware.config.inbound import Department
from firmware.routing.departments import RingAction, members_free, plan_length, ring_plan

MEMBERS = ["101", "102", "103", "104"]


def department(strategy: str, step: float = 10, ring_timeout: float = 30) -> Department:
    return Department(
        number="600",
        name="Sales",
        strategy=strategy,
        step=step,
        ring_timeout=ring_timeout,
        members=MEMBERS,
    )


@pytest.mark.parametrize(
    ("strategy", "plan", "length"),
    [
        ("all", [RingAction(0, ("101", "102", "103"))], 30),
        (
            "sequential",
            [
                RingAction(0, ("101",)),
                RingAction(10, ("102",), ("101",)),
                RingAction(20, ("103",), ("102",)),
            ],
            30,
        ),
        (
            "increasing",
            [RingAction(0, ("101",)), RingAction(10, ("102",)), RingAction(20, ("103",))],
            30,
        ),
    ],
)
def test_strategies(strategy: str, plan: list[RingAction], length: float) -> None:
    available = ["101", "102", "103"]
    assert ring_plan(department(strategy), available) == plan
    assert plan_length(department(strategy), available) == length


@pytest.mark.parametrize(
    ("strategy", "ring_timeout", "starts", "length"),
    [
        ("all", 45, [0], 45),
        ("sequential", 15, [0, 10], 15),
        ("increasing", 10, [0], 10),
        ("sequential", 100, [0, 10, 20], 30),  # a longer step timeout does not stretch it
    ],
)
def test_a_dial_steps_ring_timeout(
    strategy: str, ring_timeout: float, starts: list[float], length: float
) -> None:
    available = ["101", "102", "103"]
    plan = ring_plan(department(strategy), available, ring_timeout)
    assert [a.at for a in plan] == starts
    assert plan_length(department(strategy), available, ring_timeout) == length


@pytest.mark.parametrize("strategy", ["all", "sequential", "increasing"])
def test_nobody_free_means_an_empty_plan(strategy: str) -> None:
    assert ring_plan(department(strategy), []) == []
    assert plan_length(department(strategy), []) == 0


def test_members_free_in_config_order() -> None:
    sales = Department(number="600", name="Sales", members=["104", "101", "102", "103", "101"])
    free = members_free(
        sales,
        busy={"102"},
        dnd={"103"},
        wrapping=set(),
        registered={"101", "102", "103", "104"},
    )
    assert free == ["104", "101"]
    assert members_free(sales, set(), set(), {"104"}, {"101", "104"}) == ["101"]
    assert members_free(sales, set(), set(), set(), set()) == []


def ringing_over_time(plan: list[RingAction]) -> list[set[str]]:
    ringing: set[str] = set()
    states = []
    for action in plan:
        ringing = (ringing - set(action.stop)) | set(action.start)
        states.append(set(ringing))
    return states


plans = st.tuples(
    st.sampled_from(["all", "sequential", "increasing"]),
    st.integers(1, 60),
    st.lists(st.sampled_from(MEMBERS), unique=True),
    st.none() | st.integers(1, 300),
)


@given(plans)
def test_plans_ring_only_available_members_in_time(args: tuple) -> None:
    strategy, step, available, ring_timeout = args
    dept = department(strategy, step)
    plan = ring_plan(dept, available, ring_timeout)
    length = plan_length(dept, available, ring_timeout)
    started = [m for a in plan for m in a.start]
    assert set(started) <= set(available)
    assert len(started) == len(set(started))
    assert [a.at for a in plan] == sorted(a.at for a in plan)
    assert all(0 <= a.at < length for a in plan)
    if ring_timeout is None:
        assert set(started) == set(available)


@given(plans)
def test_a_sequential_plan_never_rings_two_at_once(args: tuple) -> None:
    _, step, available, ring_timeout = args
    plan = ring_plan(department("sequential", step), available, ring_timeout)
    assert all(len(ringing) <= 1 for ringing in ringing_over_time(plan))
