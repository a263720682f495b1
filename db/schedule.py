"""When the nightly jobs run, read from the crontab (`spotify.cronjob`): the one place the schedule
is written, so what the API announces (`next_grouping_at`) cannot drift from what cron does."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path

CRONTAB = Path(__file__).parents[1] / "spotify.cronjob"
_DAILY_LINE = re.compile(r"^(\d+)\s+(\d+)\s+\*\s+\*\s+\*\s+\S+\s+.*\bpython -m jobs (\w+)\b")


@lru_cache(maxsize=1)
def daily_times() -> dict[str, tuple[int, int]]:
    """Each job's (hour, minute) in UTC, from the crontab's daily lines."""
    times: dict[str, tuple[int, int]] = {}
    for line in CRONTAB.read_text().splitlines():
        match = _DAILY_LINE.match(line.strip())
        if match:
            times[match[3]] = (int(match[2]), int(match[1]))
    return times


def next_run(job: str, now: dt.datetime) -> dt.datetime:
    """The next time (naive UTC) cron starts `job` after `now`."""
    hour, minute = daily_times()[job]
    today = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return today if today > now else today + dt.timedelta(days=1)
