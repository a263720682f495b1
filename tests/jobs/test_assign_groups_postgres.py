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
import pytest

from db.connection import database
from db.errors import Conflict
from db.feedback_requests import delete_request, update_request
from db.models import FeedbackGroup, FeedbackRequest, FeedbackResponse
from jobs.assign_groups import assign_groups
from jobs.runner import execute, lock_key
from settings import Settings
from tests.builders import make_request, make_user
from tests.pg import database_env

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
    # Which of the two got there first is up to the scheduler; the held-lock test below pins "skipped".


def test_a_run_while_another_holds_the_lock_skips_without_effect(pg_settings: Settings) -> None:
    for _ in range(4):
        make_request(make_user())
    holder = psycopg2.connect(pg_settings.database_url)
    try:
        holder.cursor().execute("SELECT pg_advisory_xact_lock(%s)", (lock_key("assign_groups"),))
        status, result = execute("assign_groups", lambda: assign_groups(pg_settings))
        assert (status, result.outcome) == (0, "skipped")
        with database.connection_context():
            assert FeedbackGroup.select().count() == 0
    finally:
        holder.rollback()
        holder.close()
    status, result = execute("assign_groups", lambda: assign_groups(pg_settings))
    assert (status, result.outcome, result.counts["assigned"]) == (0, "ok", 4)


def _wait_for(url: str, condition_sql: str) -> None:
    """Poll pg_stat_activity until `condition_sql` (a count) is non-zero; fails after a minute."""
    deadline = time.monotonic() + 60
    while True:
        watcher = psycopg2.connect(url)
        with watcher.cursor() as check:
            check.execute(condition_sql)
            found = check.fetchone()[0]
        watcher.close()
        if found:
            return
        assert time.monotonic() < deadline, f"never true: {condition_sql}"
        time.sleep(0.02)


def _blocked_on_lock(statement_start: str) -> str:
    return f"SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '{statement_start}%%'"


@pytest.mark.parametrize("edit", ["withdraw", "make_trackless"])
def test_a_request_edited_while_the_job_runs_waits_for_it_and_finds_it_grouped(
    pg_settings: Settings, edit: str
) -> None:
    users = [make_user() for _ in range(4)]
    requests = [make_request(user) for user in users]
    blocker = psycopg2.connect(pg_settings.database_url)
    blocker.cursor().execute("LOCK TABLE feedback_group IN EXCLUSIVE MODE")  # the job stops after its read
    outcome: dict[str, object] = {}

    def run_job() -> None:
        outcome["job"] = execute("assign_groups", lambda: assign_groups(pg_settings))

    def run_edit() -> None:
        try:
            with database.connection_context():
                if edit == "withdraw":
                    delete_request(users[0].id, requests[0].id)
                else:
                    update_request(users[0].id, requests[0].id, {"media_url": None})
        except Conflict as conflict:
            outcome["edit"] = conflict.code

    job = threading.Thread(target=run_job)
    job.start()
    try:
        _wait_for(pg_settings.database_url, _blocked_on_lock('COPY "feedback_group"'))
        editor = threading.Thread(target=run_edit)
        editor.start()
        # The user's edit must wait for the job's row lock instead of changing what is being placed.
        _wait_for(pg_settings.database_url, _blocked_on_lock(edit_statement[edit]))
    finally:
        blocker.rollback()
        blocker.close()
    job.join(60)
    editor.join(60)
    status, result = outcome["job"]  # type: ignore[misc]
    assert (status, result.outcome, result.counts["assigned"]) == (0, "ok", 4)
    assert outcome["edit"] == "already_grouped"
    with database.connection_context():
        placed = FeedbackRequest.get_by_id(requests[0].id)
        assert placed.group_id is not None and placed.media_url is not None


edit_statement = {"withdraw": 'DELETE FROM "feedback_request"', "make_trackless": 'UPDATE "feedback_request"'}


def test_a_run_killed_half_way_leaves_the_database_as_before(pg_settings: Settings) -> None:
    for _ in range(8):
        make_request(make_user(), email_when_grouped=True)
    blocker = psycopg2.connect(pg_settings.database_url)
    cursor = blocker.cursor()
    # Hold the outbox so the job blocks after writing groups, memberships and responses.
    cursor.execute("LOCK TABLE email_outbox IN EXCLUSIVE MODE")
    env = {**os.environ, **database_env(pg_settings.database_url), "ENVIRONMENT": "development"}
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
    # The killed job's server process ends once it notices; its transaction is rolled back by then.
    _wait_for(
        pg_settings.database_url,
        "SELECT count(*) = 0 FROM pg_stat_activity WHERE query LIKE 'INSERT INTO \"email_outbox\"%%'",
    )
    with database.connection_context():
        assert FeedbackGroup.select().count() == 0
        assert FeedbackResponse.select().count() == 0
        assert FeedbackRequest.select().where(FeedbackRequest.group.is_null(False)).count() == 0
    status, result = execute("assign_groups", lambda: assign_groups(pg_settings))
    assert status == 0 and result.counts["assigned"] == 8
