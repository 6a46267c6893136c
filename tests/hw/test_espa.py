"""ESPA 4.4.4 messages over a real pty to a simulated paging system: the dialogue, NAKs,
silence and a dropped line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from drivers.espa import Espa
from drivers.serial_line import PortSettings, SerialLine
from firmware.config.espa import Espa as EspaSettings
from tests.support.espa_receiver import EspaReceiver, Misbehaviour
from tests.support.serial_pty import PtyCable
from tests.support.wait import wait_until

FAST = {"answer_timeout": 0.2, "reconnect": 0.1, "poll_interval": 60.0}


def record(address: str, text: str, priority: int = 1) -> dict[int, str]:
    return {1: address, 2: text, 3: "1", 4: "3", 5: "1", 6: str(priority)}


@pytest.fixture
def cable(tmp_path: Path) -> Iterator[PtyCable]:
    made = PtyCable(tmp_path / "espa-port")
    yield made
    made.unplug()


@pytest.fixture
def running() -> Iterator[list[Espa | EspaReceiver]]:
    started: list[Espa | EspaReceiver] = []
    yield started
    for thing in reversed(started):
        thing.stop() if isinstance(thing, Espa) else thing.close()


@pytest.fixture
def link(
    cable: PtyCable, running: list[Espa | EspaReceiver]
) -> Callable[..., tuple[Espa, EspaReceiver]]:
    def make(misbehave: Misbehaviour | None = None, **options: object) -> tuple[Espa, EspaReceiver]:
        receiver = EspaReceiver(cable.master, misbehave=misbehave or Misbehaviour())
        running.append(receiver)
        settings = EspaSettings.model_validate({"enabled": True, **FAST, **options})
        espa = Espa(
            settings=settings,
            line=SerialLine(cable.url, PortSettings(settings, 0.05, settings.answer_timeout)),
        )
        running.append(espa)
        espa.start()
        return espa, receiver

    return make


def delivered(receiver: EspaReceiver, count: int) -> list[dict[int, str]]:
    return wait_until(
        lambda: receiver.messages if len(receiver.messages) >= count else None,
        timeout=10,
        what=f"{count} message(s) at the paging system",
    )


def test_a_message_is_selected_sent_acknowledged_and_ended(
    link: Callable[..., tuple[Espa, EspaReceiver]],
) -> None:
    espa, receiver = link()
    espa.send("201", "Door 1 ringing", priority=2)
    assert delivered(receiver, 1) == [record("201", "Door 1 ringing", 2)]
    wait_until(lambda: espa.status()["sent"] == 1, timeout=5, what="counted as sent")
    transaction = receiver.dialogue[receiver.dialogue.index("block") - 3 :]
    assert transaction[:6] == ["EOT", "select 2", "ACK", "block", "ACK", "EOT"]
    assert espa.status()["state"] == "open" and espa.status()["messages_waiting"] == 0


def test_naks_are_answered_by_sending_again_until_it_is_taken(
    link: Callable[..., tuple[Espa, EspaReceiver]],
) -> None:
    espa, receiver = link(Misbehaviour(nak_selects=1, nak_blocks=2), retries=3)
    espa.send("202", "Call for you on line 1")
    assert delivered(receiver, 1) == [record("202", "Call for you on line 1")]
    said = [step for step in receiver.dialogue if step != "EOT"]
    first = said.index("NAK") - 1
    assert said[first : first + 10] == [
        "select 2",
        "NAK",
        "select 2",
        "ACK",
        "block",
        "NAK",
        "block",
        "NAK",
        "block",
        "ACK",
    ]


def test_silence_is_waited_out_and_the_message_keeps_its_place(
    link: Callable[..., tuple[Espa, EspaReceiver]],
) -> None:
    espa, receiver = link(Misbehaviour(silent_selects=4, silent_blocks=1), retries=1)
    espa.send("203", "first")
    espa.send("203", "second")
    assert delivered(receiver, 2) == [record("203", "first"), record("203", "second")]
    assert receiver.dialogue.count("select 2") >= 5
    assert "no answer" in (espa.status()["last_error"] or "")


def test_a_block_refused_every_time_is_dropped_and_the_next_goes_out(
    link: Callable[..., tuple[Espa, EspaReceiver]],
) -> None:
    espa, receiver = link(Misbehaviour(nak_blocks=3), retries=2)
    espa.send("204", "refused")
    espa.send("204", "taken")
    assert delivered(receiver, 1) == [record("204", "taken")]
    assert receiver.dialogue.count("block") == 4
    assert "refused" in (espa.status()["last_error"] or "")


def test_a_dropped_line_reconnects_and_queued_messages_arrive_in_order(
    cable: PtyCable,
    running: list[Espa | EspaReceiver],
    link: Callable[..., tuple[Espa, EspaReceiver]],
) -> None:
    espa, receiver = link()
    espa.send("201", "before")
    delivered(receiver, 1)
    receiver.close()
    cable.unplug()
    for text in ("one", "two", "three"):
        espa.send("201", text)
    wait_until(
        lambda: espa.status()["state"] == "lost" and espa.status()["messages_waiting"] == 3,
        timeout=5,
        what="the line lost with three messages queued",
    )
    cable.plug_in()
    running.append(again := EspaReceiver(cable.master))
    assert delivered(again, 3) == [record("201", t) for t in ("one", "two", "three")]
    wait_until(lambda: espa.status()["state"] == "open", timeout=5, what="the line back")
