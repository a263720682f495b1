"""PostgreSQL-only safety of assign_groups: concurrent runs and a run killed half way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg2

from application import Settings
from db.connection import database
from db.models import FeedbackGroup, FeedbackRequest, FeedbackResponse
from jobs.assign_groups import assign_groups
from jobs.runner import execute
from tests.builders import make_request, make_user

ROOT = Path(__file__).parents[2]


def test_two_concurrent_runs_assign_each_request_once(pg_settings: Settings) -> None:
    for index in range(40):
        make_request(make_user(), genre=["jazz", "pop"][index % 2])
    results: list[tuple[int, str]] = []
    barrier = threading.Barrier(2)

    def one() -> None:
        barrier.wait()
        status, result = execute("assign_groups", lambda: assign_groups(pg_settings))
        results.append((status, result.outcome))

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [status for status, _ in results] == [0, 0]
    with database.connection_context():
        assert FeedbackRequest.select().where(FeedbackRequest.group.is_null()).count() == 0
        assert FeedbackGroup.select().count() == 10
        assert FeedbackResponse.select().count() == 40 * 3
    assert sorted(outcome for _, outcome in results) in (["ok", "skipped"], ["ok", "ok"])


def test_a_run_killed_half_way_leaves_the_database_as_before(pg_settings: Settings) -> None:
    for _ in range(8):
        make_request(make_user(), email_when_grouped=True)
    blocker = psycopg2.connect(pg_settings.database_url)
    cursor = blocker.cursor()
    # Hold the outbox so the job blocks after writing groups, memberships and responses.
    cursor.execute("LOCK TABLE email_outbox IN EXCLUSIVE MODE")
    env = {**os.environ, "DATABASE_URL": pg_settings.database_url, "ENVIRONMENT": "development"}
    job = subprocess.Popen(
        [sys.executable, "-m", "jobs", "assign_groups"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            watcher = psycopg2.connect(pg_settings.database_url)
            with watcher.cursor() as check:
                check.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO \"email_outbox\"%%'"
                )
                waiting = check.fetchone()[0]
            watcher.close()
            if waiting:
                break
            assert time.monotonic() < deadline, "the job never reached the outbox"
            time.sleep(0.05)
        job.send_signal(signal.SIGKILL)
        job.wait(timeout=30)
    finally:
        blocker.rollback()
        blocker.close()
    time.sleep(0.2)
    with database.connection_context():
        assert FeedbackGroup.select().count() == 0
        assert FeedbackResponse.select().count() == 0
        assert FeedbackRequest.select().where(FeedbackRequest.group.is_null(False)).count() == 0
    status, result = execute("assign_groups", lambda: assign_groups(pg_settings))
    assert status == 0 and result.counts["assigned"] == 8
