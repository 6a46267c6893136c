"""A party added to a call (``add_party``) and a meet-me room, on fake legs."""

from __future__ import annotations

from firmware.config import Config, parse_config
from firmware.engine.call import Call, Destination, RingPlan
from firmware.engine.features.conference.service import Rooms
from firmware.engine.features.incall.service import InCallCodes
from firmware.engine.leg import Leg
from firmware.engine.states import Dialing, State
from tests.support.fake_leg import FakeLeg, Office
from tests.support.office_lines import ANALOG_LINE, extension_phone, outside
from tests.unit.offices import IVAN, OLGA
from tests.unit.test_call_flows import NOWHERE, hears

SERGEY = """
[[extensions]]
number = "103"
name = "Sergey"
password = "Sergey-Secret-xyz"
"""
ROOM = """
[[conferences]]
number = "800"
name = "Morning meeting"
pin = "4321"
"""
CUSTOMER = "+74951234567"
SYSTEM = """
[system]
sip_domain = "pbx.test"
region = "RU"
area_code = "495"

[calls]
outside_parties_stay = {stay}
"""


def office_of(stay: bool = False) -> tuple[Office, Config, Rooms]:
    config = parse_config(
        SYSTEM.format(stay=str(stay).lower()) + IVAN + OLGA + SERGEY + ROOM + ANALOG_LINE
    )
    codes: list[InCallCodes] = []  # made once the office's lines are open

    def keyed(call: Call, leg: Leg, complete: bool) -> State | None:
        return codes[0].keyed(call, leg, complete)

    office = Office(keyed=keyed)
    _, lines = outside(config, office)
    room = Rooms(
        config=lambda: config,
        extension=extension_phone(config),
        line_to=lambda call, out, shown: lines.line_to(
            call, out.trunks, out.number.normal, shown=shown
        ),
    )
    codes.append(
        InCallCodes(
            config=lambda: config, transfer=NOWHERE, park=NOWHERE, rooms=room, recording=NOWHERE
        )
    )
    return office, config, room


def talking(office: Office, caller: str) -> tuple:
    """``caller`` talks with Olga (102)."""
    call, caller_leg = office.call(caller, "102")
    olga_phone = Destination(
        uri="sip:102@pbx.test", from_uri=f"<sip:{caller}@pbx.test>", ring_timeout=30, key="102"
    )
    call.start(Dialing(RingPlan.single(olga_phone)))
    [olga] = office.legs
    olga.answers()
    return call, caller_leg, olga


def all_hear_each_other(*legs: FakeLeg) -> bool:
    return all(hears(a, b) for a in legs for b in legs if a is not b)


def test_a_party_added_hears_both_and_when_one_leaves_the_other_two_talk_on() -> None:
    office, _, _ = office_of()
    call, ivan, olga = talking(office, "101")
    olga.keys("*3103#")
    sergey = office.legs[-1]
    assert (call.state.name, sergey.sent) == (
        "adding_party",
        ["dial sip:103@pbx.test from <sip:102@pbx.test>"],
    )
    assert hears(ivan, olga) and hears(olga, ivan)  # they talk on while Sergey rings
    sergey.rings()
    sergey.media_up()  # early media: nothing new comes with the answer
    sergey.answers()
    assert call.state.name == "three_way"
    assert all_hear_each_other(ivan, olga, sergey)
    sergey.hangs_up()
    assert call.state.name == "three_way"
    assert "end" not in ivan.sent and "end" not in olga.sent
    assert hears(ivan, olga) and hears(olga, ivan)
    ivan.hangs_up()  # one is left: the call is over for Olga too
    assert olga.sent[-1] == "end"
    record = office.record(call)
    assert (record["disposition"], record["hangup_by"]) == ("answered", "caller")
    assert office.finished == [call]


def test_a_party_who_does_not_answer_stops_ringing_and_the_two_talk_on() -> None:
    office, config, _ = office_of()
    call, ivan, olga = talking(office, "101")
    olga.keys("*3103#")
    sergey = office.legs[-1]
    sergey.rings()
    office.after(config.calls.ring_timeout - 0.1)
    assert call.state.name == "adding_party"
    office.after(0.2)
    assert (call.state.name, sergey.sent[-1]) == ("talking", "end")
    assert hears(ivan, olga) and hears(olga, ivan)
    assert office.record(call)["answered_by"] == "102"  # answered once, not again


def customer_with_a_mobile_added(office: Office) -> tuple:
    """A customer talks with Olga, who adds a number outside on the office's line."""
    call, customer, olga = talking(office, CUSTOMER)
    olga.keys("*3989161234567#")  # 9 for a line
    mobile = office.legs[-1]
    assert (mobile.user, call.trunks) == ("89161234567", ["city"])
    mobile.answers()
    assert all_hear_each_other(customer, olga, mobile)
    return call, customer, olga, mobile


def test_when_the_office_leaves_a_call_of_three_the_outside_parties_are_let_go() -> None:
    office, _, _ = office_of(stay=False)
    call, customer, olga, mobile = customer_with_a_mobile_added(office)
    olga.hangs_up()
    assert (customer.sent[-1], mobile.sent[-1]) == ("end", "end")
    assert office.released == ["city"]  # the line is the office's: it is given back
    assert office.record(call)["hangup_by"] == "callee"
    assert office.finished == [call]


def test_with_outside_parties_staying_they_talk_on_without_the_office() -> None:
    office, _, _ = office_of(stay=True)
    call, customer, olga, mobile = customer_with_a_mobile_added(office)
    olga.hangs_up()
    assert call.state.name == "three_way"
    assert "end" not in customer.sent and "end" not in mobile.sent
    assert hears(customer, mobile) and hears(mobile, customer)
    customer.hangs_up()
    assert mobile.sent[-1] == "end"
    assert office.released == ["city"]
    assert office.record(call)["hangup_by"] == "caller"


def test_a_meet_me_room_asks_the_pin_again_after_a_wrong_one_and_lets_the_right_one_in() -> None:
    office, _, rooms = office_of()
    ivan_call, ivan = office.call("101", "800")
    ivan_call.start(rooms.enter("800"))
    assert (ivan_call.state.name, ivan.sent) == ("conference_pin", ["respond 200"])
    office.after(0.3)  # the caller's media settles before the first prompt
    [(names, audio, _)] = office.prompts.playing
    assert (names, audio) == (["voicemail_enter_pin"], ivan.audio)
    office.prompts.done()
    ivan.keys("1111#")
    assert (ivan_call.state.name, office.prompts.playing[-1][0]) == (
        "conference_pin",
        ["voicemail_wrong_pin", "voicemail_enter_pin"],
    )
    office.prompts.done()
    ivan.keys("4321#")
    assert ivan_call.state.name == "conference"
    assert list(rooms.rooms["800"].legs) == [ivan]

    sergey_call, sergey = office.call("103", "800")
    sergey_call.start(rooms.enter("800"))
    office.after(0.3)
    office.prompts.done()
    sergey.keys("4321#")
    assert hears(ivan, sergey) and hears(sergey, ivan)
    ivan.hangs_up()
    assert rooms.rooms["800"].legs == [sergey]
    assert "end" not in sergey.sent  # the room goes on without Ivan
    assert office.record(ivan_call)["disposition"] == "answered"


def test_a_room_pin_not_keyed_in_time_three_times_ends_the_call() -> None:
    office, _, rooms = office_of()
    call, ivan = office.call("101", "800")
    call.start(rooms.enter("800"))
    for _ in range(3):
        office.after(0.3)
        office.prompts.done()
        office.after(9.9)
        assert "end" not in ivan.sent
        office.after(0.2)  # ten seconds to key it
    assert ivan.sent[-1] == "end"
    record = office.record(call)
    assert (record["disposition"], record["sip_status"], record["reason"]) == (
        "failed",
        403,
        "wrong conference PIN",
    )
    assert rooms.rooms == {}
