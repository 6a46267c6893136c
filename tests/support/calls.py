"""Connected calls between test phones through a box, proved by audio both ways."""

from __future__ import annotations

from collections.abc import Callable

from tests.support.box import Box
from tests.support.phone import Phone

#: What the caller and the callee play; neither may hear its own.
CALLER_TONE, CALLEE_TONE = 700, 1100


def connect(box: Box, caller: Phone, callee: Phone, number: str) -> tuple[int, int]:
    """Calls ``number`` from ``caller``; returns both call handles once each hears the other.

    The callee must answer by itself (``auto_answer``).
    """
    out = caller.call(f"sip:{number}@{box.domain}")
    inc = callee.wait_event("incoming")["call"]
    caller.wait_heard(CALLEE_TONE, out)
    callee.wait_heard(CALLER_TONE, inc)
    return out, inc


def talking(
    box: Box, phone_factory: Callable[[str], Phone], caller: str = "101", callee: str = "102"
) -> tuple[Phone, Phone, int, int]:
    """Registers a phone for each extension and connects a call between them."""
    a_phone, b_phone = phone_factory(f"ext{caller}"), phone_factory(f"ext{callee}")
    a_phone.register(box, caller)
    b_phone.register(box, callee)
    a_phone.play(CALLER_TONE)
    b_phone.play(CALLEE_TONE)
    b_phone.auto_answer(200)
    return a_phone, b_phone, *connect(box, a_phone, b_phone, callee)
