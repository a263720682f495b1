"""Reads routed to streaming replicas, against a real primary and real hot standbys made with
`pg_basebackup -R`: the reading routes run on a replica (counted by the servers themselves, with
`pg_stat_statements`), a writer always reads their own write while a standby applies everything 2 s
late, a standby stopped mid-load costs no request an error, a forged position costs nothing, and
the live stream keeps working with its reads kept on the primary."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from db import notifications
from db.connection import database
from db.migrate import migrate
from db.read_routing import NOWHERE, ReplicaSet, parse_position
from jobs.compute_stats import compute_stats
from jobs.runner import execute
from settings import Settings
from tests.builders import add_reply, bearer, feedback_text, make_group, make_user, submit
from tests.conftest import fixed_clock, truncate_all
from tests.pg import TestPostgres, TestStandby, database_env, free_port, use_database
from tests.replication import run_sql as sql
from tests.serving import served
from tests.sse import EventStream
from tests.waiting import eventually
from tests.web.conftest import ORIGIN
from web.app import all_routes, build_app
from web.read_position import COOKIE, HEADER
from web.session import COOKIE as SESSION_COOKIE

pytestmark = pytest.mark.postgres

ME = "/api/v1/me"
STATEMENTS = "pg_stat_statements"


@dataclass
class Cluster:
    primary: TestPostgres
    standby: TestStandby
    late: TestStandby  # applies each transaction 2 s after the primary committed it

    @property
    def url(self) -> str:
        return self.primary.url("app")


@pytest.fixture(scope="module")
def replicated() -> Iterator[Cluster]:
    primary = TestPostgres(options=f"-c shared_preload_libraries={STATEMENTS}")
    primary.init()
    primary.start()
    standbys = [TestStandby(primary), TestStandby(primary, apply_delay="2s")]
    try:
        primary.create_database("app")
        migrate(use_database(primary.url("app"), pool_size=5))
        sql(primary.url("app"), f"CREATE EXTENSION {STATEMENTS}")
        for standby in standbys:
            standby.init()
            standby.start()
        yield Cluster(primary, *standbys)
    finally:
        for server in (*standbys, primary):
            server.destroy()


def user_reads(url: str) -> int:
    """Statements this server ran that read the user table, as PostgreSQL itself counts them."""
    rows = sql(url, f"SELECT COALESCE(sum(calls), 0) FROM {STATEMENTS} WHERE query LIKE '%FROM \"user\"%'")
    return int(rows[0][0])


def settings_for(cluster: Cluster, *replicas: TestStandby, tmp_path: Path) -> Settings:
    return Settings(
        database_url=cluster.url,
        database_replica_urls=tuple(replica.url("app") for replica in replicas),
        web_url=ORIGIN,
        clock=fixed_clock,
        auth_rate_per_address=100_000,
        mail_folder=str(tmp_path / "mail"),
        db_pool_size=10,
        metrics_token="metrics-token",
    )


@contextmanager
def serving(settings: Settings) -> Iterator[tuple[TestClient, ReplicaSet]]:
    """The app on the cluster, once every configured replica has been seen up. The replicas are
    checked when the test says (`refresh()`), not every second behind its back."""
    app = build_app(settings)
    app.state.replicas.check_every = 3600
    truncate_all()
    with TestClient(app, headers={"Origin": ORIGIN}) as client:
        replicas: ReplicaSet = app.state.replicas
        eventually(lambda: replicas.refresh() or all(state.up for state in replicas.states.values()))
        yield client, replicas


def caught_up(cluster: Cluster, standby: TestStandby) -> None:
    position = sql(cluster.url, "SELECT pg_current_wal_insert_lsn()")[0][0]
    eventually(
        lambda: sql(standby.url("app"), "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (position,)) == [(True,)],
        what="the standby replaying everything written so far",
    )


def test_positions_from_clients_are_read_strictly() -> None:
    assert parse_position(None) == 0 and parse_position("") == 0
    assert parse_position("16/B374D848") == (0x16 << 32) + 0xB374D848
    for forged in ("zzz", "1/", "/1", "123456789/0", "0/0; drop", "1" * 10_000, "-1/0"):
        assert parse_position(forged) == NOWHERE


def test_the_reading_routes_run_on_the_replica_and_writes_on_the_primary(replicated: Cluster, tmp_path: Path) -> None:
    settings = settings_for(replicated, replicated.standby, tmp_path=tmp_path)
    with serving(settings) as (client, _):
        user = make_user()
        headers = bearer(settings, user)
        caught_up(replicated, replicated.standby)
        on_primary, on_standby = user_reads(replicated.url), user_reads(replicated.standby.url("app"))
        for _ in range(20):
            assert client.get(ME, headers=headers).status_code == 200
            assert client.get("/api/v1/groups", headers=headers).status_code == 200
            assert client.get("/api/v1/notifications", headers=headers).status_code == 200
        assert user_reads(replicated.standby.url("app")) - on_standby >= 60
        assert user_reads(replicated.url) == on_primary  # not one read of the user table on the primary
        assert HEADER not in client.get(ME, headers=headers).headers  # nothing written, nothing to carry

        changed = client.patch(ME, json={"send_reminder_emails": False}, headers=headers)
        assert changed.status_code == 200
        assert user_reads(replicated.url) > on_primary  # the write's unit of work read on the primary
        assert parse_position(changed.headers[HEADER]) not in (0, NOWHERE)
        assert COOKIE not in changed.cookies  # a Bearer client carries the header itself

        metrics = client.get("/metrics", headers={"Authorization": "Bearer metrics-token"}).text
        name = replicated.standby.url("app").removeprefix("postgresql://postgres@")
        assert f'db_replica_up{{replica="{name}"}} 1.0' in metrics
        assert f'db_replica_lag_seconds{{replica="{name}"}}' in metrics


def test_every_reading_route_runs_on_the_replica_without_writing_there(
    replicated: Cluster, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Every GET route of the API, as a member and as an admin: each answers from the replica (a
    route that wrote there would be refused by PostgreSQL, logged, and run again on the primary)."""
    settings = settings_for(replicated, replicated.standby, tmp_path=tmp_path)
    standby = replicated.standby.url("app")
    caplog.set_level(logging.WARNING, "howsmytrack.replicas")
    with serving(settings) as (client, replicas):
        group = make_group(n=3)
        owner, writer = group.users[0], group.users[1]
        response = group.response(writer, owner)
        submit(response, feedback_text())
        add_reply(response, owner)
        admin = make_user(is_admin=True)
        caught_up(replicated, replicated.standby)
        ids = {
            "request_id": group.requests[owner.id].id,
            "group_id": group.group.id,
            "response_id": response.id,
            "user_id": owner.id,
            "report_id": 1,  # none: a 404, read on the replica all the same
        }
        paths = [
            route.path
            for route in all_routes()
            if isinstance(route, Route)
            and route.path.startswith("/api/")
            and "GET" in (route.methods or ())
            and not route.path.endswith("/stream")
        ]
        served_before = replicas.reads[standby]
        answers = {}
        for path in paths:
            url = re.sub(r"\{(\w+):id\}", lambda match: str(ids[match.group(1)]), path)
            url += "?url=https://soundcloud.com/a/b" if path.endswith("/media-info") else ""
            caller = admin if "/admin/" in path else writer if "/replies" in path else owner
            answers[path] = client.get(url, headers=bearer(settings, caller)).status_code
        assert {path: status for path, status in answers.items() if status != 200} == {
            "/api/v1/admin/reports/{report_id:id}": 404
        }
        assert replicas.fallbacks == 0 and "wrote during a read" not in caplog.text
        # Each route's units of work ran there (some routes need none: genres, aspects, media-info).
        assert replicas.reads[standby] - served_before >= len(paths) - 3


def test_a_writer_always_reads_their_own_write_while_the_replica_applies_it_2_s_late(
    replicated: Cluster, tmp_path: Path
) -> None:
    settings = settings_for(replicated, replicated.late, tmp_path=tmp_path)
    late = replicated.late.url("app")
    with serving(settings) as (client, replicas):
        writer, other = make_user(), make_user()
        caught_up(replicated, replicated.late)
        mine, theirs = bearer(settings, writer), bearer(settings, other)
        position: dict[str, str] = {}
        others_reads_before = replicas.reads[late]
        for pair in range(200):
            wanted = pair % 2 == 1
            written = client.patch(ME, json={"send_reminder_emails": wanted}, headers={**mine, **position})
            assert written.status_code == 200
            position = {HEADER: written.headers[HEADER]}
            read = client.get(ME, headers={**mine, **position})
            assert read.status_code == 200 and read.json()["user"]["send_reminder_emails"] is wanted, pair
            if pair % 4 == 0:
                assert client.get(ME, headers=theirs).status_code == 200
        assert replicas.reads[late] - others_reads_before == 50  # the other user's reads, on the replica

        # A browser session carries the position in a cookie, without doing anything.
        token = mine["Authorization"].removeprefix("Bearer ")
        client.cookies.set(SESSION_COOKIE, token)
        for pair in range(20):
            wanted = pair % 2 == 0
            assert client.patch(ME, json={"send_reminder_emails": wanted}).status_code == 200
            assert client.cookies.get(COOKIE)
            assert client.get(ME).json()["user"]["send_reminder_emails"] is wanted, pair
        client.cookies.clear()


def test_a_forged_or_huge_position_gets_the_primary_at_once(replicated: Cluster, tmp_path: Path) -> None:
    settings = settings_for(replicated, replicated.standby, tmp_path=tmp_path)
    standby = replicated.standby.url("app")
    with serving(settings) as (client, replicas):
        user = make_user()
        headers = bearer(settings, user)
        caught_up(replicated, replicated.standby)
        before = replicas.reads[standby]
        for forged in ("FFFFFFFF/FFFFFFFF", "not a position", "9" * 5_000):
            answer = client.get(ME, headers={**headers, HEADER: forged})
            assert answer.status_code == 200 and answer.json()["user"]["id"] == user.id
            client.cookies.set(COOKIE, forged)
            assert client.get(ME, headers=headers).status_code == 200
            client.cookies.clear()
        assert replicas.reads[standby] == before  # all on the primary
        assert client.get(ME, headers=headers).status_code == 200
        assert replicas.reads[standby] == before + 1


def test_a_standby_stopped_mid_load_costs_no_request_an_error_and_is_used_again_once_back(
    replicated: Cluster, tmp_path: Path
) -> None:
    settings = settings_for(replicated, replicated.standby, tmp_path=tmp_path)
    standby = replicated.standby.url("app")
    with serving(settings) as (client, replicas):
        user = make_user()
        headers = bearer(settings, user)
        caught_up(replicated, replicated.standby)
        statuses = []
        try:
            for number in range(150):
                if number == 50:
                    replicated.standby.stop("immediate")  # between two reads: the checker has not noticed
                statuses.append(client.get(ME, headers=headers).status_code)
            # The first read after the stop found the replica gone, marked it down and ran on the primary.
            assert replicas.fallbacks == 1 and not replicas.states[standby].up
            replicas.refresh()
            assert not replicas.states[standby].up
        finally:
            replicated.standby.start()
        assert statuses == [200] * 150
        served_before = replicas.reads[standby]
        eventually(lambda: replicas.refresh() or replicas.states[standby].up, what="the standby coming back")
        assert client.get(ME, headers=headers).status_code == 200
        assert replicas.reads[standby] == served_before + 1


def test_an_unreachable_or_wrong_replica_at_start_up_is_logged_and_skipped(
    replicated: Cluster, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    nowhere = f"postgresql://postgres@127.0.0.1:{free_port()}/app"
    settings = settings_for(replicated, tmp_path=tmp_path).with_changes(
        database_replica_urls=(nowhere, "mysql://somewhere/app")
    )
    caplog.set_level(logging.WARNING, "howsmytrack.replicas")
    app = build_app(settings)
    truncate_all()
    with TestClient(app, headers={"Origin": ORIGIN}) as client:
        replicas: ReplicaSet = app.state.replicas
        replicas.refresh()
        assert list(replicas.pools) == [nowhere] and not replicas.states[nowhere].up
        user = make_user()
        assert client.get(ME, headers=bearer(settings, user)).status_code == 200
    logged = caplog.text
    assert (
        "somewhere:5432/app skipped: unsupported database URL scheme 'mysql'" in logged
        and "127.0.0.1" in logged
        and "down" in logged
    )


def test_the_live_stream_replays_from_the_primary_while_reads_go_to_a_late_replica(
    replicated: Cluster, tmp_path: Path
) -> None:
    """NOTIFY is not replicated, and a replay read from a replica 2 s behind would miss what was just
    written: the stream's LISTEN and its reads stay on the primary."""
    use_database(replicated.url, pool_size=5)
    truncate_all()
    env = {
        "PATH": os.environ["PATH"],
        **database_env(replicated.url),
        "DATABASE_REPLICA_URLS": replicated.late.url("app"),
        "LOG_LEVEL": "WARNING",
        "STREAM_HEARTBEAT_SECONDS": "1",
    }
    settings = settings_for(replicated, tmp_path=tmp_path)
    user = make_user()
    with database.connection_context(), database.atomic():
        before = notifications.notify(user.id, notifications.REMINDER)
    with served(env) as base:
        stream_url = base + "/api/v1/notifications/stream"
        with EventStream(stream_url, {**bearer(settings, user), "Last-Event-ID": "0"}) as stream:
            assert stream.next().json["id"] == before  # replayed at once, though the replica has not got it
            with database.connection_context(), database.atomic():
                live = notifications.notify(user.id, notifications.REMINDER)
            assert stream.next().json["id"] == live

        # Once the replica has replayed them, the (replica-served) inbox lists both.
        def inbox() -> list[int]:
            answer = httpx.get(base + "/api/v1/notifications", headers=bearer(settings, user))
            return [item["id"] for item in answer.json()["items"]] if answer.status_code == 200 else []

        assert eventually(lambda: sorted(inbox()) == sorted([before, live]), what="the replica's inbox")


def test_the_statistics_job_reads_its_days_on_a_replica_and_stores_them_on_the_primary(
    replicated: Cluster, tmp_path: Path
) -> None:
    settings = settings_for(replicated, replicated.standby, tmp_path=tmp_path)
    use_database(replicated.url, pool_size=5)
    truncate_all()
    make_user()
    standby = replicated.standby.url("app")
    eventually(lambda: sql(standby, 'SELECT count(*) FROM "user"') == [(1,)], what="the replay")
    counted = "SELECT COALESCE(sum(calls), 0) FROM pg_stat_statements WHERE query LIKE '%feedback_request%'"
    before = {url: sql(url, counted)[0][0] for url in (replicated.url, standby)}
    today = dt.date(2026, 12, 3)
    status, result = execute("compute_stats", lambda: compute_stats(settings, dt.datetime(2026, 12, 3, 2, 50)))
    assert status == 0 and result.counts == {"days": 30}
    assert sql(replicated.url, "SELECT count(*), max(day) FROM daily_stats") == [(30, str(today - dt.timedelta(1)))]
    assert sql(standby, counted)[0][0] - before[standby] >= 30  # each day's figures were read there
    assert sql(replicated.url, counted)[0][0] == before[replicated.url]
