"""Fixed-window attempt counters kept in the database, so every worker and host shares them."""

from __future__ import annotations

import time

from db.connection import database
from db.errors import RateLimited
from db.models import RateLimitCounter


def _window(window_seconds: int, now: float) -> tuple[int, int]:
    window = int(now // window_seconds)
    retry_after = int((window + 1) * window_seconds - now) + 1
    return window, retry_after


def count(key: str, window_seconds: int, now: float | None = None) -> int:
    window, _ = _window(window_seconds, time.time() if now is None else now)
    value = (
        RateLimitCounter.select(RateLimitCounter.count)
        .where((RateLimitCounter.key == key) & (RateLimitCounter.window == window))
        .scalar()
    )
    return int(value or 0)


def hit(key: str, window_seconds: int, now: float | None = None) -> int:
    """Count one attempt in the current window; returns the window's count including it."""
    window, _ = _window(window_seconds, time.time() if now is None else now)
    with database.atomic():
        RateLimitCounter.delete().where((RateLimitCounter.key == key) & (RateLimitCounter.window < window)).execute()
        (
            RateLimitCounter.insert(key=key, window=window, count=1)
            .on_conflict(
                conflict_target=[RateLimitCounter.key, RateLimitCounter.window],
                update={RateLimitCounter.count: RateLimitCounter.count + 1},
            )
            .execute()
        )
        return count(key, window_seconds, now)


def limit_attempt(key: str, limit: int, window_seconds: int) -> None:
    """Count an attempt and refuse it when the window already holds `limit` of them."""
    now = time.time()
    if hit(key, window_seconds, now) > limit:
        raise RateLimited(_window(window_seconds, now)[1])


def refuse_if_exhausted(key: str, limit: int, window_seconds: int) -> None:
    """Refuse without counting when `limit` attempts were already counted in this window."""
    now = time.time()
    if count(key, window_seconds, now) >= limit:
        raise RateLimited(_window(window_seconds, now)[1])
