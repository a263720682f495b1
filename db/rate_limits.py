"""Fixed-window attempt counters kept in the database, so every worker and host shares them.

Each attempt is counted first, atomically (one upsert returning the new count), and only then
judged, so simultaneous attempts can never all slip under the limit. Time comes from the caller
(`Settings.clock`), which lets tests move it.
"""

from __future__ import annotations

import datetime as dt

from db.connection import writes
from db.errors import RateLimited
from db.sql import Statement

COUNT_ONE = Statement("""
INSERT INTO rate_limit_counter (key, "window", count, expires_at) VALUES (:key, :window, 1, :expires_at)
ON CONFLICT (key, "window") DO UPDATE SET count = rate_limit_counter.count + 1
RETURNING count
""")
UNCOUNT_ONE = Statement("""
UPDATE rate_limit_counter SET count = count - 1 WHERE key = :key AND "window" = :window AND count > 0
""")


def _window(window_seconds: int, now: float) -> tuple[int, int]:
    window = int(now // window_seconds)
    retry_after = int((window + 1) * window_seconds - now) + 1
    return window, retry_after


def hit(key: str, window_seconds: int, now: float) -> int:
    """Count one attempt in the current window; returns the window's count including it."""
    window, _ = _window(window_seconds, now)
    expires_at = dt.datetime.fromtimestamp((window + 1) * window_seconds, dt.UTC).replace(tzinfo=None)
    return int(COUNT_ONE.rows(key=key, window=window, expires_at=expires_at)[0]["count"])


@writes
def limit_attempt(key: str, limit: int, window_seconds: int, now: float) -> None:
    """Count an attempt and refuse it when the window already held `limit` of them."""
    if hit(key, window_seconds, now) > limit:
        raise RateLimited(_window(window_seconds, now)[1])


def forget_attempt(key: str, window_seconds: int, now: float) -> None:
    """Take back an attempt counted in this window (a sign-in that turned out to be right)."""
    UNCOUNT_ONE.execute(key=key, window=_window(window_seconds, now)[0])
