"""`python -m bench.rating_job [--users N]`: the nightly rating job at scale, the new formula
(db/ratings.py, as `python -m jobs calculate_user_ratings` runs it) against the statement it
replaced (the mean of each writer's latest 15 ratings), on the same throwaway PostgreSQL and data:
N users with 15 rated responses each (the jobs benchmark's data)."""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

os.environ.setdefault("ENVIRONMENT", "development")

from bench import data
from bench.jobs_bench import run_job
from db.connection import init_database
from db.migrate import migrate
from db.models import utcnow
from db.passwords import hash_password
from db.ratings import update_ratings
from tests.pg import TestPostgres

# The statement the job ran before (kept here only to measure against).
PREVIOUS = """
UPDATE "user" SET rating = recent.mean
FROM (
    SELECT user_id, AVG(rating * 1.0) AS mean
    FROM (
        SELECT user_id, rating,
               ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY submitted_at DESC, id DESC) AS position
        FROM feedback_response
        WHERE rating IS NOT NULL AND submitted_at IS NOT NULL AND hidden_at IS NULL
    ) AS ranked
    WHERE position <= 15
    GROUP BY user_id
    HAVING COUNT(*) >= 3
) AS recent
WHERE "user".id = recent.user_id
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    server = TestPostgres()
    server.init()
    server.start()
    try:
        url = server.create_database("bench_rating_job")
        db = init_database(url, pool_size=2)
        migrate(db)
        with db.connection_context(), db.atomic():
            data.seed_users(db, args.users, hash_password("bench password 1"))
            data.seed_rating_history(db, args.users)
        with db.connection_context():
            db.execute_sql("VACUUM ANALYZE")
        print(f"{args.users:,} users, {args.users * 15:,} rated responses; {args.runs} runs each, paired")
        previous, new = [], []

        def timed(statement: Any) -> float:
            with db.connection_context():
                db.execute_sql('VACUUM ANALYZE "user"')  # each starts from the same table, not the other's dead rows
                started = time.perf_counter()
                with db.atomic():
                    db.execute_sql('UPDATE "user" SET rating = NULL, rating_percentile = NULL')
                    statement()
                return time.perf_counter() - started

        for run in range(args.runs):
            pair = [
                ("previous", lambda: db.execute_sql(PREVIOUS)),
                ("new", lambda: update_ratings(utcnow(), 3.0, 90.0)),
            ]
            for name, statement in pair if run % 2 == 0 else reversed(pair):  # alternate which goes first
                (previous if name == "previous" else new).append(timed(statement))
        job = run_job("calculate_user_ratings", url)
        print(f"previous statement:  {', '.join(f'{s:.2f}' for s in previous)} s (after resetting every rating)")
        print(f"new statement:       {', '.join(f'{s:.2f}' for s in new)} s (the same)")
        print(f"ratio, best of each: {min(new) / min(previous):.2f}x")
        print(f"the job as cron runs it (python -m jobs, its own process): {job['wall_s']:.2f} s, {job['summary']}")
        db.close_all()  # type: ignore[attr-defined]
    finally:
        server.stop()


if __name__ == "__main__":
    main()
