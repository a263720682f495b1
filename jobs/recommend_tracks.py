"""recommend_tracks: each active user's tracks that need feedback, for today.

Crontab (02:45 UTC, after grouping):  45 2 * * *  python -m jobs recommend_tracks
Operator:                             docker compose exec cron python -m jobs recommend_tracks

Drops tracks whose time in the pool is over, then stores up to five recommendations per active user
for today (UTC) in one set-based statement (rules: db/recommendations.py). Re-running on the same
day replaces that day's list.
"""

from __future__ import annotations

import datetime as dt

from db import recommendations
from db.models import utcnow
from jobs.runner import JobResult, job_main, job_transaction
from settings import Settings

JOB = "recommend_tracks"


def recommend_tracks(settings: Settings, now: dt.datetime | None = None) -> JobResult:
    now = now or utcnow()
    with job_transaction(JOB):
        counts = recommendations.recommend(now)
    return JobResult(f"{counts['recommended']} recommendation(s) for {counts['users']} user(s)", counts)


def main(argv: list[str] | None = None) -> int:
    return job_main(JOB, __doc__ or JOB, argv, recommend_tracks)
