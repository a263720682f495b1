"""The PostgreSQL pool: reuse, replacement of dead connections, a bounded wait when all are busy."""

from __future__ import annotations

import threading

import psycopg2
import pytest

from db.connection import PoolExhausted, PostgresPool, make_database
from tests.pg import connection_held_elsewhere, direct_url


def _pool(url: str, size: int = 2, timeout: float = 0.3) -> PostgresPool:
    db = make_database(direct_url(url), pool_size=size, pool_timeout=1)  # the pool itself, not PgBouncer's
    assert isinstance(db, PostgresPool)
    db.wait_timeout = timeout
    return db


def _backend_pid(db: PostgresPool) -> int:
    return int(db.execute_sql("SELECT pg_backend_pid()").fetchone()[0])


def test_a_connection_handed_back_is_reused(pg_db: str) -> None:
    db = _pool(pg_db)
    with db.connection_context():
        first = _backend_pid(db)
    with db.connection_context():
        assert _backend_pid(db) == first
    assert db.open_connections == 1
    db.close_all()
    assert db.open_connections == 0


def test_an_idle_connection_cut_off_by_the_server_is_replaced(pg_db: str) -> None:
    db = _pool(pg_db)
    db.IDLE_PING_SECONDS = 0  # every reuse pings
    with db.connection_context():
        doomed = _backend_pid(db)
    killer = psycopg2.connect(pg_db)
    killer.autocommit = True
    killer.cursor().execute("SELECT pg_terminate_backend(%s)", (doomed,))
    killer.close()
    with db.connection_context():
        assert _backend_pid(db) != doomed
    assert db.open_connections == 1


def test_all_connections_busy_raises_after_the_timeout(pg_db: str) -> None:
    db = _pool(pg_db, size=1)
    with connection_held_elsewhere(db), pytest.raises(PoolExhausted):
        db.connect()
    # Once handed back, the connection serves the next caller.
    with db.connection_context():
        assert _backend_pid(db) > 0


def test_a_waiting_caller_gets_the_connection_another_hands_back(pg_db: str) -> None:
    db = _pool(pg_db, size=1, timeout=10)
    db.connect()
    got: list[int] = []

    def wait_for_one() -> None:
        with db.connection_context():
            got.append(_backend_pid(db))

    waiter = threading.Thread(target=wait_for_one)
    waiter.start()
    db.close()
    waiter.join(10)
    assert len(got) == 1 and db.open_connections == 1


def test_a_connection_handed_back_during_a_failed_attempt_is_taken_without_waiting(pg_db: str) -> None:
    db = _pool(pg_db, size=1, timeout=10)
    elsewhere = db._connect()  # the pool's one connection, out with someone else
    waits: list[float | None] = []
    real_wait, real_connect = db._available.wait, db._connect

    def recorded_wait(timeout: float | None = None) -> bool:
        waits.append(timeout)
        return real_wait(timeout)

    def handed_back_meanwhile() -> object:
        try:
            return real_connect()
        except Exception:
            db._close(elsewhere)  # handed back between this attempt and the caller's wait
            raise

    db._available.wait = recorded_wait  # type: ignore[method-assign]
    db._connect = handed_back_meanwhile  # type: ignore[method-assign]
    db.connect()
    assert waits == [] and db.open_connections == 1
    db.close()
