"""Call flows on fake legs: the states of engine/ and its features, in milliseconds.

The SIP tests prove the same flows with real phones; these pin down the
order of things and the timers, which the clock of the fake office moves.
"""

from __future__ import annotations

import pytest

from firmware.config import parse_config
from firmware.config.schema import Hold as HoldSettings
from firmware.engine.call import Destination, Event, RingPlan
from firmware.engine.features.conference.service import Rooms
from firmware.engine.features.hold.states import Held
from firmware.engine.features.incall.service import InCallCodes
from firmware.engine.features.park.service import Park
from firmware.engine.features.transfer.service import Transfer
from firmware.engine.states import Dialing
from firmware.routing.toneplans import Tone
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


def test_a_park_tells_the_parker_the_line_and_any_phone_takes_it() -> None:
    music = Music()
    config = parse_config(
        GOOD + '\n[[extensions]]\nnumber = "102"\nname = "Olga"\npassword = "Olga-Secret-xyz"\n'
    )
    park = Park(config=lambda: config, music=lambda: music, party_phone=NOWHERE, page=NOWHERE)
    codes = InCallCodes(
        config=lambda: config,
        transfer=Transfer(
            config=lambda: config, calls=list, party_phone=NOWHERE, extension=NOWHERE
        ),
        park=park,
        rooms=Rooms(config=lambda: config, extension=NOWHERE),
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
