"""compute_stats: the service's figures for each finished UTC day (rules: db/stats.py).

Crontab (02:50 UTC, after grouping):  50 2 * * *  python -m jobs compute_stats
Operator:                             docker compose exec cron python -m jobs compute_stats

Stores yesterday again (rows can arrive late) and any earlier day not stored yet, back to 30 days,
so a missed night is filled by the next. Today's figures are computed live by the admin stats route.

Reads on a replica (DATABASE_REPLICA_URLS) when one lags at most REPLICA_MAX_LAG_S: its input is
finished days, which a replica seconds behind holds as the primary does, and the figures are
written on the primary. The other jobs read on the primary: grouping, ratings and recommendations
are each one set-based statement that reads and writes together (moving their input through this
process to read it elsewhere would cost more than the read), and the rest act on rows they must
see as they are now (deadlines, reminders, emails, clean-up).
"""

from __future__ import annotations

import contextlib
import datetime as dt

from db import stats
from db.models import utcnow
from db.read_routing import replica_reads
from jobs.runner import JobResult, job_main, job_transaction
from settings import Settings

JOB = "compute_stats"


def compute_stats(settings: Settings | None = None, now: dt.datetime | None = None) -> JobResult:
    today = (now or utcnow()).date()
    replicas = (settings.direct_url, settings.database_replica_urls, settings.replica_max_lag_s) if settings else None
    with job_transaction(JOB):
        days = stats.days_to_store(today)
        with replica_reads(*replicas) if replicas else contextlib.nullcontext():
            figures = {day: stats.compute_day(day) for day in days}
        stored = stats.store(figures)
    return JobResult(f"{len(stored)} day(s) of statistics stored", {"days": len(stored)})


def main(argv: list[str] | None = None) -> int:
    return job_main(JOB, __doc__ or JOB, argv, compute_stats)
