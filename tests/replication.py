"""Replicated PostgreSQL for tests and benchmarks. The failover drill, shared by its test
(tests/web/test_failover.py) and its benchmark
(bench/replication.py): a primary with a synchronous streaming standby, the service on a libpq
multi-host URL, writes going on while the primary is stopped at once (`pg_ctl stop -m immediate`)
and the standby promoted, as an operator (or Patroni) would."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg2

from settings import Settings
from tests.builders import bearer, soundcloud_url
from tests.pg import TestPostgres, TestStandby

REQUESTS = "/api/v1/feedback-requests"


def run_sql(url: str, text: str, params: tuple | None = None) -> list[tuple]:
    connection = psycopg2.connect(url, connect_timeout=2)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(text, params)
            return cursor.fetchall() if cursor.description else []
    finally:
        connection.close()


@contextmanager
def pair(synchronous: bool, durable: bool = False) -> Iterator[tuple[TestPostgres, TestStandby]]:
    """A primary and its streaming standby (`pg_basebackup -R`), with database `app`. Synchronous: a
    commit is acknowledged once the standby has the WAL (`synchronous_standby_names`), set on the
    primary only, so the promoted standby does not wait for a standby it does not have."""
    primary = TestPostgres(durable=durable, options="-c synchronous_commit=on")
    standby = TestStandby(primary)
    try:
        primary.init()
        primary.start()
        primary.create_database("app")
        standby.init()
        standby.start()
        if synchronous:
            run_sql(primary.admin_url, "ALTER SYSTEM SET synchronous_standby_names = '*'")
            run_sql(primary.admin_url, "SELECT pg_reload_conf()")
            wait_for(lambda: run_sql(primary.admin_url, "SELECT sync_state FROM pg_stat_replication") == [("sync",)])
        yield primary, standby
    finally:
        for server in (standby, primary):
            server.destroy()


def multi_host_url(primary: TestPostgres, standby: TestStandby, name: str = "app") -> str:
    """libpq's form: both servers, and whichever is the read-write one now."""
    return (
        f"postgresql://postgres@127.0.0.1:{primary.port},127.0.0.1:{standby.port}/{name}"
        "?target_session_attrs=read-write"
    )


def wait_for(probe: object, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not probe():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError("the cluster did not get there")
        time.sleep(0.05)


@dataclass
class Drill:
    """What happened: every write's answer, and the switch's timing."""

    acknowledged: list[int] = field(default_factory=list)  # ids the service answered 201 for
    statuses: Counter[int] = field(default_factory=Counter)
    unexplained: list[str] = field(default_factory=list)  # a 5xx without Retry-After, or any 500
    stopped_at: float = 0.0  # the stop was asked for
    down_at: float = 0.0  # the primary was down
    promoted_at: float = 0.0
    first_write_after: float | None = None
    failed_during_switch: int = 0

    @property
    def seconds_to_first_write(self) -> float:
        assert self.first_write_after is not None
        return self.first_write_after - self.stopped_at


def switch(primary: TestPostgres, standby: TestStandby, drill: Drill) -> threading.Thread:
    """Stop the primary at once and promote the standby, alongside the writes."""

    def run() -> None:
        drill.stopped_at = time.monotonic()
        primary.stop("immediate")
        drill.down_at = time.monotonic()
        standby.promote()
        drill.promoted_at = time.monotonic()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def record(drill: Drill, status: int, retry_after: str | None, request_id: int | None) -> bool:
    """Book one answer; True when the write was acknowledged."""
    drill.statuses[status] += 1
    if status == 201 and request_id is not None:
        drill.acknowledged.append(request_id)
        now = time.monotonic()
        if drill.down_at and drill.first_write_after is None and now > drill.down_at:
            drill.first_write_after = now
        return True
    if status >= 500 and (status == 500 or not retry_after):
        drill.unexplained.append(f"{status} without Retry-After" if status != 500 else "500")
    if drill.stopped_at and drill.first_write_after is None:
        drill.failed_during_switch += 1
    return False


def run_drill(
    client: Any, settings: Settings, writers: list[Any], primary: TestPostgres, standby: TestStandby, switch_after: int
) -> Drill:
    """Each writer creates one feedback request through `client`; after `switch_after` are
    acknowledged the primary is stopped at once and the standby promoted, while the writes go on. A
    writer whose write failed tries again (a client's back-off, shortened) until the service takes it."""
    drill = Drill()
    switching = None
    waiting = list(writers)
    deadline = time.monotonic() + 60
    while waiting:
        if time.monotonic() > deadline:
            raise TimeoutError(f"still failing: {drill.statuses}")
        if switching is None and len(drill.acknowledged) == switch_after:
            switching = switch(primary, standby, drill)
        writer = waiting.pop(0)
        body = {"media_url": soundcloud_url(), "genre": "electronic", "feedback_prompt": "The mix?"}
        answer = client.post(REQUESTS, json=body, headers=bearer(settings, writer))
        created = answer.json()["request"]["id"] if answer.status_code == 201 else None
        acknowledged = record(drill, answer.status_code, answer.headers.get("retry-after"), created)
        # 409: a write answered 503 had landed after all (its retry finds it): done.
        if not acknowledged and answer.status_code != 409:
            waiting.append(writer)
            time.sleep(0.02)
    if switching is not None:
        switching.join()
    return drill
