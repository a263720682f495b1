"""PostgreSQL going away under the notification listener: it reconnects by itself, and what was
announced while it was away is replayed from the inbox, so nothing is lost."""

from __future__ import annotations

import queue
from collections.abc import Iterator

import psycopg2
import pytest

from db import notifications
from db.connection import database, init_database
from db.migrate import migrate
from db.notification_listener import PgListener
from settings import Settings
from tests.builders import bearer, make_user
from tests.pg import TestPostgres, direct_url
from tests.serving import served
from tests.sse import EventStream
from tests.web.test_notification_stream import STREAM, notify, server_env


def test_the_listener_reconnects_and_asks_for_a_replay(pg_db: str) -> None:
    messages: queue.Queue[str] = queue.Queue()
    # LISTEN needs a session of its own: the direct URL, as the service uses DIRECT_DATABASE_URL.
    listener = PgListener(direct_url(pg_db), notifications.CHANNEL, messages.put, lambda: messages.put("CONNECTED"))
    listener.start()
    try:
        assert messages.get(timeout=10) == "CONNECTED"
        user = make_user()
        notify(user)
        assert messages.get(timeout=10).startswith("n ")
        admin = psycopg2.connect(direct_url(pg_db))
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%%' "
                "AND pid <> pg_backend_pid()"
            )
        admin.close()
        assert messages.get(timeout=10) == "CONNECTED"  # again, and streams replay from the inbox
        notify(user)
        assert messages.get(timeout=10).startswith("n ")
        assert listener.connections == 2
    finally:
        listener.stop()
    assert not listener.is_alive()


@pytest.fixture
def own_postgres() -> Iterator[TestPostgres]:
    """A cluster of this test's own, since the test restarts it."""
    server = TestPostgres()
    server.init()
    server.start()
    yield server
    server.destroy()


def test_a_stream_loses_nothing_across_a_postgresql_restart(own_postgres: TestPostgres) -> None:
    url = own_postgres.create_database("restarted")
    migrate(init_database(url, pool_size=5))
    with database.connection_context():
        pass
    user = make_user()
    # A long check interval: what arrives comes from the listener and its replay, not from polling.
    with (
        served(server_env(url, STREAM_CHECK_SECONDS="600")) as base,
        EventStream(base + STREAM, bearer(Settings(), user)) as stream,
    ):
        stream.next("ready")
        before = notify(user)
        assert stream.next().json["id"] == before
        own_postgres.stop("fast")
        own_postgres.start()
        init_database(url, pool_size=5)  # this process's own pooled connections died with the server
        during = notify(user)  # most likely before the listener is back: replayed when it reconnects
        assert stream.next().json["id"] == during
        after = notify(user)
        assert stream.next().json["id"] == after
