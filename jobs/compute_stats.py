"""compute_stats: the service's figures for each finished UTC day (rules: db/stats.py).

Crontab (02:50 UTC, after grouping):  50 2 * * *  python -m jobs compute_stats
Operator:                             docker compose exec cron python -m jobs compute_stats

Stores yesterday again (rows can arrive late) and any earlier day not stored yet, back to 30 days,
so a missed night is filled by the next. Today's figures are computed live by the admin stats route.
"""

from __future__ import annotations

import datetime as dt

from db import stats
from db.models import utcnow
from jobs.runner import JobResult, job_main, job_transaction
from settings import Settings

JOB = "compute_stats"


def compute_stats(settings: Settings | None = None, now: dt.datetime | None = None) -> JobResult:
    today = (now or utcnow()).date()
    with job_transaction(JOB):
        days = stats.store_days(today)
    return JobResult(f"{len(days)} day(s) of statistics stored", {"days": len(days)})


def main(argv: list[str] | None = None) -> int:
    return job_main(JOB, __doc__ or JOB, argv, compute_stats)
