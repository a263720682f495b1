"""calculate_user_ratings: each user's reviewer rating and percentile (the formula: db/ratings.py).

Crontab (02:00 UTC):  0 2 * * *  python -m jobs calculate_user_ratings
Operator:             docker compose exec cron python -m jobs calculate_user_ratings

One set-based UPDATE over every user: a Bayesian average of their feedback's ratings, each
corrected for its rater's leniency and weighted by its age, with the site's mean as the prior
(RATING_PRIOR_WEIGHT, RATING_HALF_LIFE_DAYS). Reads the primary: it writes what it reads.
"""

from __future__ import annotations

import datetime as dt

from db.models import utcnow
from db.ratings import update_ratings
from jobs.runner import JobResult, job_main, job_transaction
from settings import Settings

JOB = "calculate_user_ratings"


def calculate_user_ratings(settings: Settings | None = None, now: dt.datetime | None = None) -> JobResult:
    settings = settings or Settings.from_env()
    now = now or utcnow()
    with job_transaction(JOB):
        changed = update_ratings(now, settings.rating_prior_weight, settings.rating_half_life_days)
    return JobResult(f"{changed} rating(s) changed", {"changed": changed})


def main(argv: list[str] | None = None) -> int:
    return job_main(JOB, __doc__ or JOB, argv, calculate_user_ratings)
