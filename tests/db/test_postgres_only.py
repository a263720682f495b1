"""Behaviour only PostgreSQL has: restarts of the server, migrations from several processes at once."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from starlette.testclient import TestClient

from db.connection import database
from settings import Settings
from tests.builders import bearer, make_user
from tests.pg import TestPostgres
from tests.waiting import eventually
from web.app import build_app

ROOT = Path(__file__).parents[2]


def test_service_answers_503_while_postgres_is_down_and_recovers(
    pg_settings: Settings, postgres_server: TestPostgres
) -> None:
    user = make_user()
    app = build_app(pg_settings)
    with TestClient(app) as client:
        headers = bearer(pg_settings, user)
        assert client.get("/readyz").status_code == 200
        assert client.get("/api/v1/me", headers=headers).status_code == 200
        postgres_server.stop()
        try:
            for _ in range(2):
                ready = client.get("/readyz")
                assert ready.status_code == 503 and ready.json()["error"]["code"] == "database_unavailable"
                me = client.get("/api/v1/me", headers=headers)
                assert me.status_code == 503 and me.json()["error"]["code"] == "database_unavailable"
                assert me.headers["Retry-After"]
        finally:
            postgres_server.start()
        # Recovery without a restart: PgBouncer logs in to the server again (it waits a moment
        # between attempts), and until then each request is a 503, never a 500.
        statuses: list[int] = []

        def me_answers() -> bool:
            statuses.append(client.get("/api/v1/me", headers=headers).status_code)
            return statuses[-1] == 200

        eventually(me_answers, 45, "the service's recovery")
        assert eventually(lambda: client.get("/readyz").status_code == 200, 45)
        assert set(statuses) <= {200, 503}


def test_readiness_answers_while_every_pooled_connection_and_thread_is_busy(pg_settings: Settings) -> None:
    """Both pooled connections held and both request threads waiting for one: /readyz, from its own
    connection, still answers 200 before any of them is let go."""
    user = make_user()
    settings = pg_settings.with_changes(db_pool_size=2, db_threads=2, db_pool_timeout_seconds=60)
    app = build_app(settings)
    release = threading.Event()

    def hold() -> None:
        with database.connection_context():
            database.execute_sql("SELECT 1")
            release.wait(60)

    with TestClient(app) as client:
        holders = [threading.Thread(target=hold) for _ in range(2)]
        for thread in holders:
            thread.start()
        pool = database.obj
        eventually(lambda: pool.in_use == 2, what="both connections held")
        answers: list[int] = []
        waiting = [
            threading.Thread(
                target=lambda: answers.append(client.get("/api/v1/me", headers=bearer(settings, user)).status_code)
            )
            for _ in range(2)
        ]
        for thread in waiting:
            thread.start()
        try:
            ready = client.get("/readyz")
            assert ready.status_code == 200
            assert answers == [] and all(thread.is_alive() for thread in waiting)  # still queued behind the pool
        finally:
            release.set()
            for thread in holders + waiting:
                thread.join(60)
        assert answers == [200, 200]


def test_migrations_from_several_processes_at_once_apply_once(postgres_server: TestPostgres) -> None:
    url = postgres_server.create_database("howsmytrack_migrate_race")
    env = {**os.environ, "DATABASE_URL": url, "ENVIRONMENT": "development"}  # direct: migrations need no pooler
    processes = [
        subprocess.Popen([sys.executable, "-m", "db", "migrate"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0, 0]
    assert sorted(outputs).count("migrate: applied 0 migration(s)\n") == 3
    names = sorted(path.stem for path in (ROOT / "db" / "migrations").glob("0*.py"))
    assert any(f"applied {len(names)} migration(s): {', '.join(names)}" in output for output in outputs)


def test_no_table_has_two_indexes_on_the_same_columns(pg_db: str) -> None:
    # Each index costs every insert; one that repeats another (0005 repeated the responses'
    # UNIQUE constraint until 0008) only slows the grouping job's bulk insert.
    with database.connection_context():
        repeated = database.execute_sql(
            "SELECT indrelid::regclass::text, array_agg(indexrelid::regclass::text ORDER BY indexrelid) FROM pg_index "
            "WHERE indrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'public'::regnamespace) "
            "GROUP BY indrelid, indkey::text, indclass::text, coalesce(indpred::text, ''), "
            "coalesce(indexprs::text, '') HAVING count(*) > 1"
        ).fetchall()
    assert repeated == []
