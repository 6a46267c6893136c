"""How many calls one extension may place at once, and the one rule every limit follows."""

from __future__ import annotations

import pytest

from firmware.config import ConfigError, parse_config
from firmware.routing.limits import call_cap, over_limit
from firmware.routing.outcome import Disposition
from tests.unit.test_config import GOOD

OFFICE = (
    GOOD
    + """max_calls = 1

[[extensions]]
number = "102"
name = "Olga"
password = "Olga-Secret-xyz"
"""
)


def test_the_count_reaching_the_limit_refuses_the_next_call() -> None:
    assert over_limit(2, 1, "simultaneous calls") is None
    assert over_limit(2, 2, "simultaneous calls") == "limit of 2 simultaneous calls reached"


def test_an_extension_at_its_cap_is_refused_plainly_and_cheaply() -> None:
    config = parse_config(OFFICE)
    ivan = config.extension("101")
    assert call_cap(config, ivan, placed=0) is None
    refusal = call_cap(config, ivan, placed=1)
    assert refusal is not None
    assert (refusal.status, refusal.phrase, refusal.disposition) == (
        486,
        "Call Limit Reached",
        Disposition.BUSY,
    )
    assert refusal.why == "limit of 1 simultaneous calls reached"
    assert (refusal.tone, refusal.prompt) == (None, None)  # no media held to say so


def test_extensions_without_their_own_cap_follow_the_boxs_default_of_4() -> None:
    config = parse_config(OFFICE)
    olga = config.extension("102")
    assert call_cap(config, olga, placed=3) is None
    assert call_cap(config, olga, placed=4) is not None
    lower = parse_config(OFFICE + "\n[calls]\nmax_per_extension = 2\n")
    assert call_cap(lower, lower.extension("102"), placed=2) is not None


def test_an_emergency_call_goes_out_whatever_the_cap() -> None:
    config = parse_config(OFFICE)
    assert call_cap(config, config.extension("101"), placed=5, emergency=True) is None


def test_a_cap_of_zero_is_refused_with_its_key() -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(OFFICE.replace("max_calls = 1", "max_calls = 0"), "pbx.toml")
    assert err.value.render().startswith("pbx.toml:10: extensions[0].max_calls: ")
