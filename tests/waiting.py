"""Waiting for something another thread or process does (a sender, a server): polled until true,
with a generous deadline that only a broken test reaches; never a fixed sleep."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(probe: Callable[[], T], timeout: float = 30.0, what: str = "the condition") -> T:
    """The first truthy value `probe()` returns; AssertionError when `timeout` passes first."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not come about within {timeout:.0f} s")
        time.sleep(0.02)
