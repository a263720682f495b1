"""Database failures map to precise answers: retried, 503 with Retry-After, or a logged 500."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
from peewee import OperationalError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from db.connection import BUSY, UNAVAILABLE, database, failure_kind, run_in_db
from settings import Settings
from tests.builders import bearer, make_user
from tests.pg import connection_held_elsewhere
from web.app import build_app


def _app_with(settings: Settings, work: Callable[[], Any]) -> TestClient:
    async def endpoint(request: Request) -> Response:
        return JSONResponse({"result": await run_in_db(work)})

    app = build_app(settings)
    app.router.routes.insert(0, Route("/test-only/work", endpoint))  # before the client's catch-all
    return TestClient(app, raise_server_exceptions=False)


def _raise_sqlstate(code: str) -> None:
    database.execute_sql(f"DO $$ BEGIN RAISE EXCEPTION 'test' USING ERRCODE = '{code}'; END $$")


def test_a_serialisation_failure_is_run_once_more(pg_settings: Settings) -> None:
    calls: list[int] = []

    def work() -> str:
        calls.append(1)
        if len(calls) == 1:
            _raise_sqlstate("40001")
        return "done"

    with _app_with(pg_settings, work) as client:
        response = client.get("/test-only/work")
    assert response.status_code == 200 and response.json() == {"result": "done"} and len(calls) == 2


def test_a_deadlock_twice_is_a_503_busy_with_retry_after(pg_settings: Settings) -> None:
    with _app_with(pg_settings, lambda: _raise_sqlstate("40P01")) as client:
        response = client.get("/test-only/work")
    assert response.status_code == 503 and response.json()["error"]["code"] == "database_busy"
    assert response.headers["Retry-After"] == "1"


def test_a_statement_timeout_is_a_503_timeout(pg_settings: Settings) -> None:
    def slow() -> None:
        with database.atomic():
            database.execute_sql("SET LOCAL statement_timeout = 10")
            database.execute_sql("SELECT pg_sleep(2)")

    with _app_with(pg_settings, slow) as client:
        response = client.get("/test-only/work")
    assert response.status_code == 503 and response.json()["error"]["code"] == "database_timeout"


def _limits() -> list[str]:
    return [
        database.execute_sql("SHOW statement_timeout").fetchone()[0],
        database.execute_sql("SHOW idle_in_transaction_session_timeout").fetchone()[0],
    ]


def test_web_sessions_carry_statement_and_idle_transaction_timeouts(pg_settings: Settings) -> None:
    """Connected directly, every session has the limits from its start."""
    direct = pg_settings.with_changes(database_url=pg_settings.direct_url, direct_database_url="")
    with _app_with(direct, _limits) as client:
        assert client.get("/test-only/work").json()["result"] == ["15s", "1min"]


def test_behind_the_pooler_each_transaction_sets_the_limits(pg_settings: Settings) -> None:
    """Through PgBouncer (no startup options), a transaction sets the limits for itself with SET
    LOCAL, and a statement past them inside it is a 503 as on a direct connection."""
    assert pg_settings.database_is_pooled

    def in_a_transaction() -> list[str]:
        with database.atomic():
            return _limits()

    with _app_with(pg_settings, in_a_transaction) as client:
        assert client.get("/test-only/work").json()["result"] == ["15s", "1min"]

    def slow_write() -> None:
        with database.atomic():
            database.execute_sql("SELECT pg_sleep(2)")

    with _app_with(pg_settings.with_changes(db_statement_timeout_ms=100), slow_write) as client:
        response = client.get("/test-only/work")
    assert response.status_code == 503 and response.json()["error"]["code"] == "database_timeout"


def test_an_exhausted_pool_is_a_503_busy(pg_settings: Settings) -> None:
    settings = pg_settings.with_changes(db_pool_size=1, db_pool_timeout_seconds=0)
    with _app_with(settings, lambda: "free") as client:
        with connection_held_elsewhere(database):
            response = client.get("/test-only/work")
        assert response.status_code == 503 and response.json()["error"]["code"] == "database_busy"
        assert response.headers["Retry-After"]
        assert client.get("/test-only/work").json() == {"result": "free"}


def test_a_query_bug_is_a_500_logged_with_its_traceback_and_request_id(
    db: str, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    with _app_with(settings, lambda: database.execute_sql("SELECT * FROM no_such_table")) as client:
        response = client.get("/test-only/work", headers={"X-Request-ID": "trace-me-1"})
    assert response.status_code == 500 and response.json()["error"]["code"] == "internal_error"
    records = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert any("trace-me-1" in record.getMessage() and record.exc_info for record in records)


def test_sqlite_database_is_locked_counts_as_busy(tmp_path: Any) -> None:
    path = tmp_path / "locked.sqlite3"
    holder = sqlite3.connect(path, timeout=0)
    holder.execute("CREATE TABLE t (x)")
    holder.commit()
    holder.execute("BEGIN IMMEDIATE")
    other = sqlite3.connect(path, timeout=0)
    try:
        with pytest.raises(sqlite3.OperationalError) as raised:
            other.execute("BEGIN IMMEDIATE")
    finally:
        holder.rollback()
        holder.close()
        other.close()
    assert failure_kind(OperationalError(raised.value)) == BUSY


def test_a_stopped_server_counts_as_unavailable_not_a_bug(db: str, settings: Settings) -> None:
    user = make_user()
    with TestClient(build_app(settings)) as client:
        assert client.get("/api/v1/me", headers=bearer(settings, user)).status_code == 200
    assert failure_kind(OperationalError(sqlite3.OperationalError("unable to open database file"))) == UNAVAILABLE


def test_a_pooler_that_refuses_the_connection_is_a_503(pg_settings: Settings) -> None:
    """PgBouncer answers but will not connect this client (here: a database it cannot reach): a
    503 with Retry-After, never a 500, and not ready."""
    from starlette.testclient import TestClient

    from tests.builders import bearer, make_user
    from web.app import build_app

    user = make_user()
    refused = pg_settings.with_changes(database_url=pg_settings.database_url.rsplit("/", 1)[0] + "/no_such_database")
    with TestClient(build_app(refused)) as client:
        response = client.get("/api/v1/me", headers=bearer(pg_settings, user))
        assert response.status_code == 503 and response.json()["error"]["code"] == "database_unavailable"
        assert response.headers["Retry-After"]
        assert client.get("/readyz").status_code == 503
