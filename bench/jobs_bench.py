"""Times the jobs as operators run them (`python -m jobs <name>`): wall time, peak RSS, statements."""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import data
from bench.smtp_sink import SmtpSinkProcess
from db import stats
from db.connection import init_database
from db.migrate import migrate
from db.models import utcnow
from db.passwords import hash_password
from tests.pg import TestPostgres

ROOT = Path(__file__).parents[1]


def run_job(job: str, database_url: str, smtp_url: str | None = None) -> dict[str, Any]:
    """The job as cron runs it; with `smtp_url`, its emails go over SMTP (else into a folder)."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "ENVIRONMENT": "development",
        "LOG_LEVEL": "WARNING",
        "MAIL_FOLDER": tempfile.mkdtemp(prefix="howsmytrack-bench-mail-"),
        **({"SMTP_URL": smtp_url} if smtp_url else {}),
    }
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.counted", job], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    output = process.stdout.read().decode() if process.stdout else ""
    errors = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{job} failed: {output}{errors}")
    statements = re.search(r"statements=(\d+)", output)
    return {
        "wall_s": round(wall, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "statements": int(statements.group(1)) if statements else None,
        "summary": output.strip().splitlines()[0],
    }


def live_stats(db: Any) -> dict[str, Any]:
    """What GET /admin/stats adds for today: the day's figures computed on the spot (in this process)."""
    with db.connection_context():
        started = time.perf_counter()
        stats.compute_day(utcnow().date())
        wall = time.perf_counter() - started
    return {
        "wall_s": round(wall, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "statements": len(stats.statements()),
    }


def bench_jobs(server: TestPostgres, users: int, skip: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    url = server.create_database(f"bench_jobs_{users}")
    db = init_database(url, pool_size=2)
    migrate(db)
    print(f"  seeding {users:,} users (ratings history x15, one pending request each)...", flush=True)
    started = time.perf_counter()
    with db.connection_context(), db.atomic():
        data.seed_users(db, users, hash_password("bench password 1"))
        data.seed_rating_history(db, users)
    with db.connection_context():
        data.seed_pending_requests(db)
    print(f"  seeded in {time.perf_counter() - started:.1f} s", flush=True)
    results = []
    for job in ("calculate_user_ratings", "assign_groups", "enforce_deadlines", "recommend_tracks", "compute_stats"):
        if job in skip:
            continue
        if job == "enforce_deadlines":
            with db.connection_context():
                data.pass_the_deadline(db)
        if job == "assign_groups":
            # The grouping emails go to a real SMTP server on loopback, as they would in production.
            sink = SmtpSinkProcess()
            try:
                result = run_job(job, url, sink.url)
            finally:
                result["emails"] = sink.stop()
                result["smtp_sink"] = sink.name
        else:
            result = run_job(job, url)
        print(f"  {job}: {result['summary']}", flush=True)
        results.append({"job": job, "users": users, **{k: v for k, v in result.items() if k != "summary"}})
    results.append({"job": "stats today (live)", "users": users, **live_stats(db)})
    db.close_all()  # type: ignore[attr-defined]
    return results
