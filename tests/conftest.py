"""Fixtures shared by every test: boxes and phones that are always stopped."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.box import Box
from tests.support.phone import Phone
from tests.support.provider import Provider


@pytest.fixture
def phone_factory(tmp_path: Path) -> Iterator[Callable[[str], Phone]]:
    """Makes test phones (agent processes) that all quit at teardown, and must quit cleanly."""
    phones: list[Phone] = []

    def make(name: str, host: str = "127.0.0.1") -> Phone:
        phone = Phone(name, tmp_path / "phones", host)
        phones.append(phone)
        return phone

    yield make
    for phone in phones:
        phone.request_quit()
    unclean = [phone.exit_report() for phone in phones if phone.close() != 0]
    assert not unclean, "\n".join(unclean)


@pytest.fixture
def box_factory(tmp_path: Path) -> Iterator[Callable[..., Box]]:
    boxes: list[Box] = []

    def make(**options: Any) -> Box:
        box = Box(tmp_path / f"box{len(boxes)}", options=options)
        boxes.append(box)
        return box.start()

    yield make
    for box in boxes:
        box.stop()
    # A state meeting an event it does not expect is a defect even when the call went well.
    defects = [
        line for box in boxes for line in box.engine_log_text().splitlines() if "defect:" in line
    ]
    assert not defects, "\n".join(defects)


@pytest.fixture
def box(box_factory: Callable[..., Box]) -> Box:
    return box_factory()


@pytest.fixture
def provider_factory(tmp_path: Path) -> Iterator[Callable[..., Provider]]:
    """Makes SIP provider stand-ins (a Kamailio each), all stopped at teardown.

    Request it before ``phone_factory`` so phones, torn down first, can still
    unregister from a provider that is up.
    """
    providers: list[Provider] = []

    def make(**options: Any) -> Provider:
        provider = Provider(tmp_path / f"provider{len(providers)}", **options)
        providers.append(provider)
        return provider.start()

    yield make
    for provider in providers:
        provider.stop()
