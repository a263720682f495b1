"""The one database object and `run_in_db()`.

Peewee keeps connection state per thread, so every unit of work runs on a worker thread inside its
own `connection_context()`; nothing here is ever called on the event loop.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar
from urllib.parse import unquote, urlparse

import anyio.to_thread
from peewee import Database, DatabaseProxy, InterfaceError, OperationalError, SqliteDatabase
from playhouse.pool import PooledPostgresqlDatabase

database = DatabaseProxy()

P = ParamSpec("P")
T = TypeVar("T")

# Errors that mean "the database could not be reached", as opposed to a query the data refused.
UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)


class PostgresPool(PooledPostgresqlDatabase):  # type: ignore[misc]
    """Peewee's pool, pinging only connections that sat idle.

    The stock pool checks every connection it hands out with a `SELECT 1` round trip, made while
    holding the database-wide lock, so under load every request queues behind one ping. A
    connection returned moments ago is checked locally instead; one idle for longer (and so
    possibly cut off by a server restart) still gets the round trip.
    """

    IDLE_PING_SECONDS = 2.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._returned_at: dict[int, float] = {}

    def _is_closed(self, conn: Any) -> bool:
        returned = self._returned_at.get(id(conn))
        if conn.closed or returned is None or time.monotonic() - returned > self.IDLE_PING_SECONDS:
            return bool(super()._is_closed(conn))
        return bool(self._adapter.is_connection_reusable(conn) is False)

    def _close(self, conn: Any, close_conn: bool = False) -> None:
        super()._close(conn, close_conn)
        if close_conn or conn.closed:
            self._returned_at.pop(id(conn), None)
        else:
            self._returned_at[id(conn)] = time.monotonic()


def make_database(url: str, pool_size: int = 40, pool_timeout: int = 10) -> Database:
    """A database for a `sqlite:///path` or `postgresql://user:pass@host:port/name` URL."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = url[len("sqlite:///") :] or ":memory:"
        return SqliteDatabase(
            path,
            pragmas={"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 10000, "synchronous": "normal"},
            check_same_thread=False,
            # Writers take the lock up front: a deferred transaction that reads and then writes
            # fails at once (SQLITE_BUSY) when another writer got there first, instead of waiting.
            lock_type="IMMEDIATE",
        )
    if parsed.scheme in ("postgresql", "postgres"):
        return PostgresPool(
            unquote(parsed.path.lstrip("/")),
            user=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
            host=parsed.hostname,
            port=parsed.port,
            max_connections=pool_size,
            timeout=pool_timeout,
            stale_timeout=300,
            connect_timeout=5,
        )
    raise ValueError(f"unsupported database URL scheme {parsed.scheme!r}")


def init_database(url: str, pool_size: int = 40, pool_timeout: int = 10) -> Database:
    """Point the models at the database for `url`, closing whatever was there before."""
    previous = database.obj
    if previous is not None and hasattr(previous, "close_all"):
        previous.close_all()
    db = make_database(url, pool_size, pool_timeout)
    database.initialize(db)
    return db


def is_postgres() -> bool:
    return isinstance(database.obj, PooledPostgresqlDatabase) or getattr(database.obj, "param", "?") == "%s"


def in_connection(fn: Callable[P, T]) -> Callable[P, T]:
    """Wrap a sync function so it runs inside its own (pooled) connection."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        with database.connection_context():
            return fn(*args, **kwargs)

    return wrapper


async def run_in_db(fn: Callable[..., T], *args: Any) -> T:
    """Run a sync unit of work on a worker thread with its own connection."""
    return await anyio.to_thread.run_sync(functools.partial(in_connection(fn), *args))
