"""Call recording end to end: both parties' tones in one WAV under the box's home, linked
from the call record, for a listed extension and on demand by the code."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from firmware.store.cdr import CallRecords
from firmware.store.db import connect
from tests.sip.test_hold import hears_music
from tests.sip.test_inbound import staff
from tests.sip.test_park import parks
from tests.sip.test_transfer import SALES
from tests.support import audio
from tests.support.box import Box
from tests.support.calls import CALLEE_TONE, CALLER_TONE, talking
from tests.support.phone import Phone
from tests.support.wait import wait_until

pytestmark = pytest.mark.sip

NOBODY_PLAYS = 1700
PAUSED_TONE = 1300


def open_record(box: Box) -> dict[str, Any]:
    [row] = CallRecords(connect(box.home.store)).recent(1)
    return row


def recording_of(box: Box) -> Path:
    """The WAV the call under way is recorded to, once its record links one."""
    name = wait_until(lambda: open_record(box)["recording"], timeout=5, what="a recording linked")
    return box.home.recordings_dir / name


def recording_paused(box: Box) -> bool:
    [recording] = box.command("status")["recordings"]
    return bool(recording["paused"])


def hears_both(path: Path, last_s: float = 1.0) -> bool:
    samples = audio.read_samples(path)[-round(last_s * audio.RATE) :]
    return len(samples) == round(last_s * audio.RATE) and all(
        audio.has_tone(samples, tone, min_ratio=0.2) for tone in (CALLER_TONE, CALLEE_TONE)
    )


def hears_both_since(path: Path, start: int) -> bool:
    """A second of recording after sample ``start`` holds both parties."""
    samples = audio.read_samples(path)[start:]
    return len(samples) >= audio.RATE and all(
        audio.has_tone(samples[-audio.RATE :], tone, min_ratio=0.2)
        for tone in (CALLER_TONE, CALLEE_TONE)
    )


def assert_both_parties(path: Path) -> None:
    whole = audio.read_samples(path)
    tones = audio.dominant_tones(whole)
    for tone in (CALLER_TONE, CALLEE_TONE):
        assert audio.has_tone(whole, tone, min_ratio=0.2), f"{tone} Hz not in {path}: {tones}"
    assert not audio.has_tone(whole, NOBODY_PLAYS, min_ratio=0.05), tones


def test_a_listed_extension_s_call_is_recorded_with_both_parties(
    box_factory: Callable[..., Box], phone_factory: Callable[[str], Phone]
) -> None:
    box = box_factory(extra='\n[recording]\nextensions = ["102"]\n')
    ivan, _, out, _ = talking(box, phone_factory, caller="101", callee="102")
    path = recording_of(box)
    assert path.is_relative_to(box.home.recordings_dir)
    assert path.stat().st_mode & 0o777 == 0o600  # conversations are the box's alone
    wait_until(lambda: hears_both(path), timeout=5, what="both tones in the recording")
    ivan.hangup(out)
    [row] = box.closed_calls(1)
    assert box.home.recordings_dir / row["recording"] == path
    assert_both_parties(path)
    shown = json.loads(box.cli("cdr", "--json").stdout)
    assert shown[0]["recording"] == row["recording"]


def test_an_unlisted_call_records_only_once_a_party_keys_the_code(
    box: Box, phone_factory: Callable[[str], Phone]
) -> None:
    ivan, olga, out, inc = talking(box, phone_factory, caller="101", callee="102")
    olga.dtmf(inc, "5")  # keys that are no code: nothing is recorded
    ivan.wait_heard(CALLEE_TONE, out)
    assert open_record(box)["recording"] is None
    olga.dtmf(inc, "*1")
    path = recording_of(box)
    wait_until(lambda: hears_both(path), timeout=5, what="both tones in the recording")
    ivan.dtmf(out, "*1")  # the code again pauses it: what is said meanwhile is not kept
    wait_until(lambda: recording_paused(box), timeout=5, what="the recording paused")
    ivan.play(PAUSED_TONE)
    olga.wait_heard(PAUSED_TONE, inc)
    ivan.play(CALLER_TONE)
    olga.wait_heard(CALLER_TONE, inc)
    olga.dtmf(inc, "*1")  # and once more resumes it, into the same file
    wait_until(lambda: not recording_paused(box), timeout=5, what="the recording resumed")
    wait_until(lambda: hears_both(path), timeout=5, what="both tones recorded again")
    ivan.hangup(out)
    [row] = box.closed_calls(1)
    assert box.home.recordings_dir / row["recording"] == path
    assert_both_parties(path)
    assert not audio.has_tone(audio.read_samples(path), PAUSED_TONE, min_ratio=0.05)


def test_a_recording_goes_on_after_a_hold(
    box_factory: Callable[..., Box], phone_factory: Callable[[str], Phone]
) -> None:
    box = box_factory(extra='\n[recording]\nextensions = ["101"]\n')
    ivan, olga, out, inc = talking(box, phone_factory, caller="101", callee="102")
    path = recording_of(box)
    wait_until(lambda: hears_both(path), timeout=5, what="both tones in the recording")
    olga.hold(inc)
    hears_music(ivan, out)
    olga.resume(inc)
    ivan.wait_heard(CALLEE_TONE, out)
    olga.wait_heard(CALLER_TONE, inc)
    resumed_at = len(audio.read_samples(path))
    wait_until(
        lambda: hears_both_since(path, resumed_at), timeout=5, what="both tones after the hold"
    )
    ivan.hangup(out)


TARGET_TONE = 1300


def hears_since(path: Path, start: int, tones: tuple[int, ...]) -> bool:
    """The last second of recording after sample ``start`` holds every one of ``tones``."""
    samples = audio.read_samples(path)[start:]
    return len(samples) >= audio.RATE and all(
        audio.has_tone(samples[-audio.RATE :], tone, min_ratio=0.2) for tone in tones
    )


def test_a_transfer_s_target_is_recorded_from_the_answer(
    box_factory: Callable[..., Box], phone_factory: Callable[[str], Phone]
) -> None:
    box = box_factory(extra='\n[recording]\nextensions = ["101"]\n')
    ivan, reception, out, inc = talking(box, phone_factory, caller="101", callee="100")
    [sergey] = staff(phone_factory, box, "103")
    sergey.play(TARGET_TONE)
    path = recording_of(box)
    wait_until(lambda: hears_both(path), timeout=5, what="both tones in the recording")

    reception.transfer(inc, f"sip:103@{box.domain}")
    offered = sergey.wait_event("incoming")
    reception.wait_state(inc, "disconnected")
    sergey.answer(offered["call"])
    ivan.wait_heard(TARGET_TONE, out)
    sergey.wait_heard(CALLER_TONE, offered["call"])
    answered_at = len(audio.read_samples(path))
    wait_until(
        lambda: hears_since(path, answered_at, (CALLER_TONE, TARGET_TONE)),
        timeout=5,
        what="the customer and the target in the recording after the transfer",
    )
    ivan.hangup(out)
    [row] = box.closed_calls(1)
    assert (box.home.recordings_dir / row["recording"], row["transferred_to"]) == (path, "103")
    after = audio.read_samples(path)[answered_at:]
    assert not audio.has_tone(after, CALLEE_TONE, min_ratio=0.05)  # the transferor has gone


def test_whoever_takes_a_parked_call_is_recorded(
    box_factory: Callable[..., Box], phone_factory: Callable[[str], Phone]
) -> None:
    box = box_factory(extra='\n[recording]\nextensions = ["101"]\n')
    ivan, reception, out, inc = talking(box, phone_factory, caller="101", callee="100")
    path = recording_of(box)
    wait_until(lambda: hears_both(path), timeout=5, what="both tones in the recording")
    parks(reception, inc, 1)
    [sergey] = staff(phone_factory, box, "103")
    sergey.play(TARGET_TONE)
    taken = sergey.call(f"sip:*71@{box.domain}")
    ivan.wait_heard(TARGET_TONE, out)
    sergey.wait_heard(CALLER_TONE, taken)
    taken_at = len(audio.read_samples(path))
    wait_until(
        lambda: hears_since(path, taken_at, (CALLER_TONE, TARGET_TONE)),
        timeout=5,
        what="the customer and who took the line in the recording",
    )
    ivan.hangup(out)
    sergey.wait_state(taken, "disconnected")


def test_a_call_handed_on_to_a_department_is_recorded_with_whoever_takes_it(
    box_factory: Callable[..., Box], phone_factory: Callable[[str], Phone]
) -> None:
    box = box_factory(extra='\n[recording]\nextensions = ["101"]\n' + SALES)
    ivan, reception, out, inc = talking(box, phone_factory, caller="101", callee="100")
    olga, sergey = staff(phone_factory, box, "102", "103")
    sergey.play(TARGET_TONE)
    path = recording_of(box)
    wait_until(lambda: hears_both(path), timeout=5, what="both tones in the recording")
    reception.dtmf(inc, "*2600#")
    rung = [olga.wait_event("incoming"), sergey.wait_event("incoming")]
    sergey.answer(rung[1]["call"])
    ivan.wait_heard(TARGET_TONE, out)
    sergey.wait_heard(CALLER_TONE, rung[1]["call"])
    taken_at = len(audio.read_samples(path))
    wait_until(
        lambda: hears_since(path, taken_at, (CALLER_TONE, TARGET_TONE)),
        timeout=5,
        what="the customer and the department's member in the recording",
    )
    ivan.hangup(out)
    sergey.wait_state(rung[1]["call"], "disconnected")
    [row] = box.closed_calls(1)
    assert (box.home.recordings_dir / row["recording"], row["transferred_to"]) == (path, "600")
