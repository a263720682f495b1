"""calculate_user_ratings: each user's rating = mean of their latest 15 rated, submitted responses.

Crontab (02:00 UTC):  0 2 * * *  python -m jobs calculate_user_ratings
Operator:             docker compose exec cron python -m jobs calculate_user_ratings

One set-based UPDATE: a window function numbers each writer's rated responses newest first
(by submission time); users with fewer than 3 keep their previous rating. Feedback a moderator
removed (`hidden_at`) does not count.
"""

from __future__ import annotations

from db.connection import database
from jobs.runner import JobResult, job_main, job_transaction
from settings import Settings

JOB = "calculate_user_ratings"
WINDOW = 15
MINIMUM = 3

UPDATE_RATINGS = f"""
UPDATE "user" SET rating = recent.mean
FROM (
    SELECT user_id, AVG(rating * 1.0) AS mean
    FROM (
        SELECT user_id, rating,
               ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY submitted_at DESC, id DESC) AS position
        FROM feedback_response
        WHERE rating IS NOT NULL AND submitted_at IS NOT NULL AND hidden_at IS NULL
    ) AS ranked
    WHERE position <= {WINDOW}
    GROUP BY user_id
    HAVING COUNT(*) >= {MINIMUM}
) AS recent
WHERE "user".id = recent.user_id
  AND ("user".rating IS NULL OR ABS("user".rating - recent.mean) > 1e-9)
"""


def calculate_user_ratings(settings: Settings | None = None) -> JobResult:
    with job_transaction(JOB):
        changed = database.execute_sql(UPDATE_RATINGS).rowcount
    return JobResult(f"{changed} rating(s) changed", {"changed": changed})


def main(argv: list[str] | None = None) -> int:
    return job_main(JOB, __doc__ or JOB, argv, calculate_user_ratings)
