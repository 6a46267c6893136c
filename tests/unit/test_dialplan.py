"""Routing decisions for internal calls, and what a caller hears when the callee fails."""

from __future__ import annotations

import pytest

from firmware.config import parse_config
from firmware.routing.dialplan import RingExtension, callee_failed, route_call
from firmware.routing.outcome import Disposition, Party, Refusal
from firmware.routing.toneplans import TONE_PLANS, Tone
from tests.unit.test_config import GOOD

CONFIG_TEXT = (
    GOOD + '\n[[extensions]]\nnumber = "102"\nname = "Olga"\npassword = "Olga-Secret-xyz"\n'
)
CONFIG = parse_config(CONFIG_TEXT)


def test_an_extension_rings_with_the_configured_ring_time() -> None:
    assert route_call(CONFIG, caller="101", dialed="102") == RingExtension("102", "Olga", 30)


def test_an_unknown_number_is_refused_as_unobtainable() -> None:
    decision = route_call(CONFIG, caller="101", dialed="555")
    assert isinstance(decision, Refusal)
    assert (decision.status, decision.tone, decision.disposition) == (
        404,
        Tone.UNOBTAINABLE,
        Disposition.FAILED,
    )


def test_icm_dialed_from_an_extension_says_it_is_for_customers() -> None:
    config = parse_config(CONFIG_TEXT + "\n[icm]\n")
    decision = route_call(config, caller="101", dialed="6100")
    assert isinstance(decision, Refusal)
    assert (decision.status, decision.why) == (
        403,
        "ICM's number is for customers: a menu or a transfer sends them to it",
    )
    unowned = route_call(CONFIG, caller="101", dialed="6100")  # no [icm]: no such number
    assert isinstance(unowned, Refusal) and unowned.status == 404


def test_calling_yourself_is_busy() -> None:
    decision = route_call(CONFIG, caller="101", dialed="101")
    assert isinstance(decision, Refusal) and decision.tone is Tone.BUSY


@pytest.mark.parametrize(
    ("status", "answer", "tone", "disposition", "by"),
    [
        (486, 486, Tone.BUSY, Disposition.BUSY, Party.CALLEE),
        (603, 486, Tone.BUSY, Disposition.BUSY, Party.CALLEE),
        (480, 480, Tone.CONGESTION, Disposition.FAILED, Party.SYSTEM),
        (408, 480, Tone.CONGESTION, Disposition.FAILED, Party.SYSTEM),
        (404, 404, Tone.UNOBTAINABLE, Disposition.FAILED, Party.SYSTEM),
        (500, 503, Tone.CONGESTION, Disposition.FAILED, Party.SYSTEM),
    ],
)
def test_callee_failures(
    status: int, answer: int, tone: Tone, disposition: Disposition, by: Party
) -> None:
    refusal = callee_failed(status, "x")
    assert (refusal.status, refusal.tone, refusal.disposition, refusal.by) == (
        answer,
        tone,
        disposition,
        by,
    )


@pytest.mark.parametrize("region", sorted(TONE_PLANS))
def test_every_region_has_every_tone(region: str) -> None:
    assert set(TONE_PLANS[region]) == set(Tone)


def test_regions_differ_where_their_plans_differ() -> None:
    ru, de = TONE_PLANS["RU"], TONE_PLANS["DE"]
    assert ru[Tone.RINGBACK][0].on_ms == 800 and ru[Tone.RINGBACK][0].off_ms == 3200
    assert de[Tone.RINGBACK][0].on_ms == 1000 and de[Tone.RINGBACK][0].off_ms == 4000
    assert ru[Tone.BUSY][0].on_ms == 400 and de[Tone.BUSY][0].on_ms == 480
