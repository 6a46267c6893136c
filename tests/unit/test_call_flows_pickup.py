"""Picking up a colleague's ringing phone, on fake legs: the picker answers in its place."""

from __future__ import annotations

from firmware.engine.call import Destination, RingPlan
from firmware.engine.features.pickup.service import Pickup
from firmware.engine.states import Dialing
from firmware.routing.pickup import pickup_code
from tests.support.fake_leg import FakeLeg, Office
from tests.unit.test_call_flows import hears
from tests.unit.test_pickup import CONFIG

OLGA = Destination(
    uri="sip:102@pbx.local", from_uri="<sip:100@pbx.local>", ring_timeout=30, key="102"
)


def olga_rings() -> tuple:
    """Reception (100) rings Olga (102); the office's pickup service sees its calls."""
    office = Office()
    pickup = Pickup(calls=lambda: office.calls, config=lambda: CONFIG)
    call, reception = office.call("100", "102")
    call.start(Dialing(RingPlan.single(OLGA)))
    [olga] = office.legs
    olga.rings()
    return office, pickup, call, reception, olga


def picker(user: str) -> FakeLeg:
    """The phone that dialed the pickup code."""
    return FakeLeg(None, user=user, incoming=True)  # type: ignore[arg-type]


def test_a_colleague_of_the_group_picks_up_and_the_ringing_phone_stops() -> None:
    office, pickup, call, reception, olga = olga_rings()
    ivan = picker("101")  # Sales, as Olga
    code = pickup_code(CONFIG, "*8")
    assert code is not None and pickup.take(ivan, "101", code)
    assert ivan.sent == ["respond 200"]
    assert olga.sent[-1] == "end"
    assert (call.state.name, call.b_leg, call.b_key) == ("talking", ivan, "101")
    assert office.tones[-1].closed  # the ringback stops
    assert hears(reception, ivan) and hears(ivan, reception)
    assert office.record(call)["answered_by"] == "101"
    ivan.hangs_up()
    assert reception.sent[-1] == "end"
    assert office.record(call)["hangup_by"] == "callee"


def test_a_phone_outside_the_group_picks_nothing_and_olga_rings_on() -> None:
    _, pickup, call, reception, olga = olga_rings()
    sergey = picker("103")  # the warehouse group
    code = pickup_code(CONFIG, "*8")
    assert code is not None and not pickup.take(sergey, "103", code)
    assert (call.state.name, sergey.sent, olga.sent[-1:]) == (
        "ringing",
        [],
        ["dial sip:102@pbx.local from <sip:100@pbx.local>"],
    )
    directed = pickup_code(CONFIG, "**102")  # named, any phone may take it
    assert directed is not None and pickup.take(sergey, "103", directed)
    assert (call.state.name, call.b_leg, olga.sent[-1]) == ("talking", sergey, "end")
    assert hears(reception, sergey) and hears(sergey, reception)
