"""When the supervisor restarts a dead engine, and when it gives up."""

from __future__ import annotations

from firmware.backoff import RestartBudget
from firmware.config.schema import Supervisor

RULES = Supervisor(
    restart_delay=0, restart_backoff=1, restart_backoff_max=5, restart_limit=6, restart_window=60
)


def test_first_restart_is_immediate_then_each_waits_twice_as_long_up_to_the_cap() -> None:
    budget = RestartBudget(RULES)
    assert [budget.crashed(at) for at in (0, 1, 2, 3, 4, 5)] == [0, 1, 2, 4, 5, None]


def test_crashes_older_than_the_window_are_forgotten() -> None:
    budget = RestartBudget(RULES)
    assert [budget.crashed(at) for at in (0, 10, 20)] == [0, 1, 2]
    assert budget.crashed(75) == 1  # only the crash at 20 is still within 60 s
    assert budget.recent == 2
    assert budget.crashed(200) == 0


def test_a_limit_of_one_gives_up_at_the_first_crash() -> None:
    budget = RestartBudget(RULES.model_copy(update={"restart_limit": 1}))
    assert budget.crashed(0) is None
