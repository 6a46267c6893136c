"""Call flows on fake legs: the states of engine/ and its features, in milliseconds.

The SIP tests prove the same flows with real phones; these pin down the
order of things and the timers, which the clock of the fake office moves.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from firmware.config import parse_config
from firmware.config.schema import Hold as HoldSettings
from firmware.engine.call import Destination, Event, RingPlan
from firmware.engine.features.conference.service import Rooms
from firmware.engine.features.hold.states import Held
from firmware.engine.features.incall.service import InCallCodes
from firmware.engine.features.park.service import Park
from firmware.engine.features.recording.service import Recording
from firmware.engine.features.transfer.service import Transfer
from firmware.engine.loop import EngineLoop
from firmware.engine.states import Confirming, Dialing
from firmware.routing.toneplans import Tone
from firmware.store.db import connect
from firmware.store.recordings import RecordingArchive
from tests.support.fake_leg import FakeAudio, FakeLeg, Office
from tests.unit.test_config import GOOD

NOWHERE = lambda *args: None  # noqa: E731
OLGA = Destination(
    uri="sip:102@pbx.test", from_uri="<sip:101@pbx.test>", ring_timeout=30, key="102"
)


def hears(listener: FakeLeg, speaker: FakeLeg) -> bool:
    return listener.audio is not None and listener.audio in speaker.audio.sinks


def connected(office: Office) -> tuple:
    call, ivan = office.call("101", "102")
    call.start(Dialing(RingPlan.single(OLGA)))
    [olga] = office.legs
    olga.rings()
    olga.answers()
    return call, ivan, olga


def test_a_call_rings_with_ringback_then_both_hear_each_other() -> None:
    office = Office()
    call, ivan = office.call("101", "102")
    call.start(Dialing(RingPlan.single(OLGA)))
    [olga] = office.legs
    assert olga.sent == ["dial sip:102@pbx.test from <sip:101@pbx.test>"]
    olga.rings()
    assert (call.state.name, office.tones[-1].tone) == ("ringing", Tone.RINGBACK)
    assert ivan.sent == ["respond 183"]  # early media, for the ringback
    assert ivan.audio in office.tones[-1].heard_by
    olga.answers()
    assert call.state.name == "talking"
    assert office.tones[-1].closed
    assert hears(ivan, olga) and hears(olga, ivan)
    ivan.hangs_up()
    assert olga.sent[-1] == "end"
    record = office.record(call)
    assert (record["disposition"], record["answered_by"], record["hangup_by"]) == (
        "answered",
        "102",
        "caller",
    )
    assert office.finished == [call]


def test_nobody_answering_in_the_ring_time_ends_the_ringing() -> None:
    office = Office()
    call, ivan = office.call("101", "102")
    call.start(Dialing(RingPlan.single(OLGA)))
    [olga] = office.legs
    olga.rings()
    office.after(29.9)
    assert len(olga.sent) == 1  # still ringing
    office.after(0.2)
    assert olga.sent[-1] == "end"
    assert ivan.sent[-1].startswith("end 480")
    assert office.record(call)["disposition"] == "no_answer"


class Music:
    def __init__(self) -> None:
        self.to_legs: list[FakeAudio] = []

    def to(self, audio: FakeAudio) -> None:
        self.to_legs.append(audio)

    def away_from(self, audio: FakeAudio) -> None:
        self.to_legs.remove(audio)


def held_office(music: Music, settings: HoldSettings) -> Office:
    recall = Destination(uri="sip:102@pbx.test", from_uri="<sip:101@pbx.test>", ring_timeout=5)
    return Office(hold=lambda call, leg: Held(leg, music=music, settings=settings, recall=recall))


def test_the_held_party_hears_music_and_the_answer_is_counted_once() -> None:
    music = Music()
    office = held_office(music, HoldSettings())
    call, ivan, olga = connected(office)
    answered: list[object] = []
    call.on_answer.append(answered.append)
    olga.holds()
    assert (call.state.name, music.to_legs) == ("held", [ivan.audio])
    olga.holds(False)
    assert (call.state.name, music.to_legs, answered) == ("talking", [], [])


def test_a_forgotten_hold_rings_the_holder_at_40_s_briefly_and_again_at_120_s() -> None:
    music = Music()
    office = held_office(music, HoldSettings())
    call, ivan, olga = connected(office)
    olga.holds()
    office.after(39.5)
    assert len(office.legs) == 1
    office.after(1.0)
    reminder = office.legs[-1]
    assert reminder.uri == "sip:102@pbx.test"
    office.after(3.0)
    assert reminder.sent[-1] == "end"  # three seconds, then quiet again
    office.after(77.0)
    recall = office.legs[-1]
    assert recall is not reminder
    recall.answers()
    assert call.state.name == "talking"
    assert call.b_leg is recall and olga.sent[-1] == "end"
    assert hears(ivan, recall) and hears(recall, ivan)


def test_a_park_tells_the_parker_the_line_and_any_phone_takes_it(tmp_path: Path) -> None:
    music = Music()
    config = parse_config(
        GOOD + '\n[[extensions]]\nnumber = "102"\nname = "Olga"\npassword = "Olga-Secret-xyz"\n'
    )
    lamps: list[tuple[int, str | None]] = []
    park = Park(
        config=lambda: config,
        music=lambda: music,
        party_phone=NOWHERE,
        page=NOWHERE,
        slot_changed=lambda slot, waiting: lamps.append((slot, waiting)),
    )
    codes = InCallCodes(
        config=lambda: config,
        transfer=Transfer(
            config=lambda: config,
            calls=list,
            party_phone=NOWHERE,
            extension=NOWHERE,
            hand_on=NOWHERE,
            shown=NOWHERE,
        ),
        park=park,
        rooms=Rooms(config=lambda: config, extension=NOWHERE, line_to=NOWHERE),
        recording=Recording(
            config=lambda: config,
            archive=RecordingArchive(connect(":memory:"), tmp_path),
            loop=EngineLoop(lambda ms: None),
        ),
    )
    office = Office(keyed=codes.keyed)
    call, ivan, olga = connected(office)
    olga.keys("*7")
    assert call.state.name == "talking"  # a slot may follow
    olga.keys("#")
    assert (call.state.name, music.to_legs, list(park.parked)) == ("parked", [ivan.audio], [1])
    assert not hears(olga, ivan)  # the parker hears the line alone
    [(names, audio, _)] = office.prompts.playing
    assert (names, audio) == (["parked_on_line", "num_1"], olga.audio)
    office.prompts.done()
    office.after(0.5)
    assert olga.sent[-1] == "end"

    sergey = FakeLeg(None, user="103", incoming=True)  # type: ignore[arg-type]
    assert park.take(sergey, "103", "*71")
    assert (call.state.name, call.b_leg, park.parked) == ("talking", sergey, {})
    assert lamps == [(1, "101"), (1, None)]  # line 1's lamp: busy, then free
    assert hears(ivan, sergey) and hears(sergey, ivan)


def test_an_event_a_state_does_not_expect_is_logged_as_a_defect(
    caplog: pytest.LogCaptureFixture,
) -> None:
    office = Office()
    call, _, olga = connected(office)
    olga.keys("5")  # keys are ambient: no defect
    call.dispatch(Event.LOOKUP_TIMEOUT)  # a stray timer of another state
    defects = [r.getMessage() for r in caplog.records if "defect:" in r.getMessage()]
    assert defects == [
        f"call {call.record}: defect: talking got lookup_timeout, which it does not expect"
    ]
    assert call.state.name == "talking"  # logged, and the call goes on


SERGEY = Destination(
    uri="sip:103@pbx.test", from_uri="<sip:101@pbx.test>", ring_timeout=20, key="103"
)
OLGA_AGAIN = Destination(
    uri="sip:102@pbx.test", from_uri="<sip:101@pbx.test>", ring_timeout=30, key="102"
)
SALES = """
[[extensions]]
number = "102"
name = "Olga"
password = "Olga-Secret-xyz"

[[extensions]]
number = "103"
name = "Sergey"
password = "Sergey-Secret-xyz"

[[departments]]
number = "600"
name = "Sales"
members = ["103"]
"""


def handing_on() -> tuple[Office, list[str]]:
    """An office whose department 600 rings Sergey, and whose transferors are rung back;
    the list is what the box was asked to hand on to."""
    config = parse_config(GOOD + SALES)
    asked: list[str] = []

    def hand_on(call, where, not_reached):  # type: ignore[no-untyped-def]
        asked.append(str(where))
        return lambda: Dialing(RingPlan.single(SERGEY), not_reached)

    transfer = Transfer(
        config=lambda: config,
        calls=list,
        party_phone=lambda call, party: OLGA_AGAIN,
        extension=NOWHERE,
        hand_on=hand_on,
        shown=lambda leg: leg.remote_user(),
    )
    codes = InCallCodes(
        config=lambda: config, transfer=transfer, park=NOWHERE, rooms=NOWHERE, recording=NOWHERE
    )
    return Office(keyed=codes.keyed), asked


def test_a_call_keyed_on_to_a_department_rings_it_and_the_transferor_leaves() -> None:
    office, asked = handing_on()
    call, ivan = office.call("101", "102")
    told: list[str] = []  # as a scenario's analytics or a queue watch who answers
    call.on_answer.append(lambda leg: told.append(leg.remote_user()))
    call.start(Dialing(RingPlan.single(OLGA)))
    [olga] = office.legs
    olga.rings()
    olga.answers()
    olga.keys("*2600#")
    assert (call.state.name, olga.sent[-1], asked) == ("handing_on", "end", ["department:600"])
    office.after(0)  # the department rings once the transferor's leg is gone
    sergey = office.legs[-1]
    assert (call.state.name, sergey.sent) == (
        "dialing",
        ["dial sip:103@pbx.test from <sip:101@pbx.test>"],
    )
    assert ivan.audio in office.tones[-1].heard_by  # the customer hears ringback meanwhile
    sergey.answers()
    assert (call.state.name, call.a_leg, call.b_leg) == ("talking", ivan, sergey)
    assert hears(ivan, sergey) and hears(sergey, ivan)
    assert office.record(call)["transferred_to"] == "600"
    assert told == ["102"]  # what watched the first answer is not told of the second


def test_a_call_handed_on_that_nobody_takes_rings_the_transferor_back() -> None:
    office, _ = handing_on()
    call, ivan, olga = connected(office)
    olga.keys("*2600#")
    office.after(0)
    sergey = office.legs[-1]
    office.after(20.0)  # the department's ring time
    assert sergey.sent[-1] == "end"
    back = office.legs[-1]
    assert (call.state.name, back.sent) == (
        "transferring",
        ["dial sip:102@pbx.test from <sip:101@pbx.test>"],
    )
    back.answers()
    assert (call.state.name, call.b_leg) == ("talking", back)
    assert hears(ivan, back) and hears(back, ivan)
    assert office.record(call)["transferred_to"] is None


def test_a_transfer_to_a_number_of_nobody_is_refused_and_the_call_goes_on() -> None:
    office, asked = handing_on()
    call, ivan, olga = connected(office)
    olga.keys("*2777#")
    assert (call.state.name, asked, "end" in olga.sent) == ("talking", [], False)
    assert hears(ivan, olga) and hears(olga, ivan)


def test_a_line_rung_in_vain_is_given_back_when_its_leg_ends_not_when_the_call_does() -> None:
    office = Office()
    call, ivan = office.call("101", "+79161234567")
    call.trunks.append("city")  # seized for the mobile
    call.start(Dialing(RingPlan.single(replace(OLGA, trunk="city"))))
    [mobile] = office.legs
    mobile.rings()
    mobile.hangs_up(486)
    assert (call.state.name, office.released, call.trunks) == ("refusing", ["city"], [])
    assert ivan.audio in office.tones[-1].heard_by  # the caller hears busy, the line is free


def test_a_feature_code_is_confirmed_by_a_short_tone_then_the_box_hangs_up() -> None:
    office = Office()
    call, ivan = office.call("101", "*80")
    call.start(Confirming("mode: night"))
    tone = office.tones[-1]
    assert (ivan.sent, tone.tone, set(tone.heard_by)) == (
        ["respond 200"],
        Tone.WARNING,
        {ivan.audio},
    )
    office.after(0.9)
    assert not tone.closed and "end" not in ivan.sent
    office.after(0.2)
    assert tone.closed and ivan.sent[-1] == "end"
    record = office.record(call)
    assert (record["disposition"], record["hangup_by"], record["reason"]) == (
        "answered",
        "system",
        "mode: night",
    )
