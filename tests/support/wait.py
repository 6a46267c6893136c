"""Waiting for a condition with a deadline: the tests' only way to let time pass."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(check: Callable[[], T], *, timeout: float, what: str, every: float = 0.05) -> T:
    """Returns ``check()``'s first truthy value; fails with ``what`` at the deadline."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        pause.wait(every)
    return result
