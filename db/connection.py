"""The one database object and `run_in_db()`.

Peewee keeps connection state per thread, so every unit of work runs on a worker thread inside its
own `connection_context()`; nothing here is ever called on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from typing import Any, ParamSpec, Protocol, TypeVar
from urllib.parse import urlparse

import anyio.to_thread
import psycopg2
import psycopg2.extensions
from peewee import Database, DatabaseProxy, InterfaceError, OperationalError, PostgresqlDatabase, SqliteDatabase

database = DatabaseProxy()

P = ParamSpec("P")
T = TypeVar("T")

# Errors the database layer raises for reasons other than the data: `failure_kind()` sorts them.
# (psycopg2 errors that peewee does not rename, such as SerializationFailure, arrive as they are.)
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    psycopg2.OperationalError,
    psycopg2.InterfaceError,
)

RETRY, BUSY, TIMEOUT, UNAVAILABLE = "retry", "busy", "timeout", "unavailable"
_PG_KINDS = {
    "40001": RETRY,  # serialization_failure
    "40P01": RETRY,  # deadlock_detected
    "55P03": BUSY,  # lock_not_available
    "53300": BUSY,  # too_many_connections
    "57014": TIMEOUT,  # query_canceled: statement_timeout
    "25P03": TIMEOUT,  # idle_in_transaction_session_timeout
}


class PoolExhausted(Exception):
    """No pooled connection became free within the pool's timeout."""


class _NoneFree(Exception):
    pass


class PostgresPool(PostgresqlDatabase):
    """A bounded pool of PostgreSQL connections, built on the two hooks every peewee backend
    implements (`_connect` opens a connection, `_close` ends one) plus the public `connect()`.

    A connection handed back moments ago is reused without a round trip; one idle for longer (and
    so possibly cut off by a server restart) is pinged first, and replaced when the ping fails.
    Waiting for a free connection happens outside peewee's database lock, up to `timeout`
    seconds, after which `PoolExhausted` is raised.
    """

    IDLE_PING_SECONDS = 2.0

    def __init__(self, database: str, max_connections: int = 20, timeout: float = 10, **kwargs: Any) -> None:
        super().__init__(database, **kwargs)
        self.max_connections = max_connections
        self.wait_timeout = timeout
        self._idle: list[tuple[float, Any]] = []  # (handed back at, connection), most recent last
        self._open = 0
        self._available = threading.Condition()
        self._handbacks = 0  # connections handed back or slots freed so far: a waiter's "anything new?"
        self.waits = 0  # times a unit of work found no free connection and had to wait (monitoring)
        self.behind_pooler = False  # see make_database()
        self.transaction_limits: tuple[int, int] | None = None  # behind a pooler: (statement, idle) ms

    @property
    def open_connections(self) -> int:
        return self._open

    @property
    def in_use(self) -> int:
        """Connections handed out and not yet handed back."""
        with self._available:
            return self._open - len(self._idle)

    def connect(self, reuse_if_open: bool = False) -> bool:
        deadline = time.monotonic() + self.wait_timeout
        waited = False
        while True:
            with self._available:
                seen = self._handbacks
            try:
                return bool(super().connect(reuse_if_open))
            except _NoneFree:
                if not waited:
                    waited = True
                    self.waits += 1
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise PoolExhausted(f"all {self.max_connections} database connections are busy") from None
                with self._available:
                    # A connection handed back since the attempt is taken at once, not after a wait.
                    if self._handbacks == seen:
                        self._available.wait(min(remaining, 0.05))

    def _connect(self) -> Any:
        while True:
            with self._available:
                if self._idle:
                    handed_back_at, conn = self._idle.pop()
                elif self._open < self.max_connections:
                    self._open += 1
                    break
                else:
                    raise _NoneFree()
            if self._usable(conn, handed_back_at):
                return conn
            self._discard(conn)
        try:
            return super()._connect()  # type: ignore[misc]
        except BaseException:
            self._release_slot()
            raise

    def begin(self, isolation_level: Any = None) -> None:
        """Behind a pooler the session's limits cannot be set at connect time: each transaction sets
        them for itself (statements outside a transaction have the database role's limits)."""
        super().begin(isolation_level)
        if self.transaction_limits is not None:
            statement_ms, idle_ms = self.transaction_limits
            self.execute_sql(  # type: ignore[no-untyped-call]
                f"SET LOCAL statement_timeout = {int(statement_ms)}; "
                f"SET LOCAL idle_in_transaction_session_timeout = {int(idle_ms)}"
            )

    def unpooled_connection(self) -> Any:
        """A connection with the pool's parameters that is not one of its slots."""
        return super()._connect()  # type: ignore[misc]

    def lend_to_this_thread(self, conn: Any) -> None:
        """Make `conn` (an unpooled connection) this thread's connection, or detach it (None)
        without closing it or handing it to the pool."""
        state: Any = self.__dict__["_state"]  # peewee's per-thread connection state (untyped)
        if conn is None:
            state.reset()
        else:
            state.set_connection(conn)

    @contextlib.contextmanager
    def borrowing(self, conn: Any) -> Iterator[None]:
        """This thread's queries run on `conn` inside the block; the thread's own connection and
        its open transaction (if any) are back as they were afterwards (a job reading a replica)."""
        state: Any = self.__dict__["_state"]
        saved = (state.closed, state.conn, state.ctx, state.transactions, state.commit_callbacks)
        state.set_connection(conn)
        try:
            yield
        finally:
            state.closed, state.conn, state.ctx, state.transactions, state.commit_callbacks = saved

    def _close(self, conn: Any) -> None:
        if conn.closed or conn.info.transaction_status != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
            self._discard(conn)
            return
        with self._available:
            self._idle.append((time.monotonic(), conn))
            self._handbacks += 1
            self._available.notify()

    def _usable(self, conn: Any, handed_back_at: float) -> bool:
        if conn.closed:
            return False
        if time.monotonic() - handed_back_at <= self.IDLE_PING_SECONDS:
            return True
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT 1")
            return True
        except psycopg2.Error:
            return False

    def _discard(self, conn: Any) -> None:
        with contextlib.suppress(psycopg2.Error):
            conn.close()
        self._release_slot()

    def _release_slot(self) -> None:
        with self._available:
            self._open -= 1
            self._handbacks += 1
            self._available.notify()

    def close_all(self) -> None:
        """Close the idle connections (at shutdown or when the database is replaced)."""
        with self._available:
            idle, self._idle = self._idle, []
        for _, conn in idle:
            self._discard(conn)


def make_database(
    url: str,
    pool_size: int = 40,
    pool_timeout: int = 10,
    statement_timeout_ms: int = 0,
    idle_timeout_ms: int = 60_000,
    behind_pooler: bool = False,
    connect_timeout: int = 5,
) -> Database:
    """A database for a `sqlite:///path` or `postgresql://user:pass@host:port/name` URL.

    On PostgreSQL every session gets `statement_timeout` (0: none, as jobs use) and
    `idle_in_transaction_session_timeout`, so a stuck request cannot hold locks for long.
    `behind_pooler`: the URL is PgBouncer in transaction mode, where a session is not ours: no
    startup options (each transaction sets the limits with SET LOCAL; single statements outside a
    transaction have the database role's: README, "Running in production") and no SQL-level
    PREPARE (db/sql.py).
    """
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
        limits = (
            {}
            if behind_pooler
            else {
                "options": f"-c statement_timeout={statement_timeout_ms} "
                f"-c idle_in_transaction_session_timeout={idle_timeout_ms}"
            }
        )
        # The URL goes to libpq as it is, so its own forms work: several hosts
        # (`host1:5432,host2:5432`) with `?target_session_attrs=read-write` connect to whichever is
        # the primary now, which is how a process follows a failover without a restart.
        pool = PostgresPool(
            "postgresql://" + url.split("://", 1)[1],
            max_connections=pool_size,
            timeout=pool_timeout,
            connect_timeout=connect_timeout,
            **limits,
        )
        pool.behind_pooler = behind_pooler
        if behind_pooler:
            pool.transaction_limits = (statement_timeout_ms, idle_timeout_ms)
        return pool
    raise ValueError(f"unsupported database URL scheme {parsed.scheme!r}")


def init_database(
    url: str,
    pool_size: int = 40,
    pool_timeout: int = 10,
    statement_timeout_ms: int = 0,
    idle_timeout_ms: int = 60_000,
    behind_pooler: bool = False,
) -> Database:
    """Point the models at the database for `url`, closing whatever was there before."""
    with _swapping:
        previous = database.obj
        if isinstance(previous, PostgresPool):
            previous.close_all()
        db = make_database(url, pool_size, pool_timeout, statement_timeout_ms, idle_timeout_ms, behind_pooler)
        database.initialize(db)
        return db


# Held while the models are re-pointed and while a background thread works, so that a thread's pass
# never straddles two database objects (a test process starts many apps, each calling init_database).
_swapping = threading.RLock()


class BackgroundConnection:
    """A background thread's own connection (the mail sender's), outside the request pool: it never
    takes a connection a request is waiting for, and requests never take it. Kept open between
    passes, reopened after a failure or when the models were pointed elsewhere."""

    def __init__(self) -> None:
        self._db: Database | None = None
        self._conn: Any = None

    @contextlib.contextmanager
    def use(self) -> Iterator[None]:
        """This thread's queries run on the connection inside the block."""
        with _swapping:
            db = database.obj
            if not isinstance(db, PostgresPool):
                with database.connection_context():
                    yield
                return
            if self._db is not db or self._conn is None or self._conn.closed:
                self.close()
                self._conn = db.unpooled_connection()
                self._db = db
            db.lend_to_this_thread(self._conn)
            try:
                yield
            except BaseException:
                self.close()
                raise
            finally:
                db.lend_to_this_thread(None)  # detached: never handed to the pool

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(*DATABASE_ERRORS):
                self._conn.close()
        self._conn = None
        self._db = None


def is_postgres() -> bool:
    return isinstance(database.obj, PostgresqlDatabase)


def sessions_are_ours() -> bool:
    """PostgreSQL reached directly: session state (prepared statements) lasts with the connection."""
    return isinstance(database.obj, PostgresqlDatabase) and not getattr(database.obj, "behind_pooler", False)


def failure_kind(error: BaseException) -> str | None:
    """What a database error means for the caller: RETRY (serialisation failure or deadlock: run the
    transaction again), BUSY (locks or connections all taken), TIMEOUT (a statement ran too long),
    UNAVAILABLE (the server cannot be reached), or None (a bug, reported as such)."""
    if isinstance(error, PoolExhausted):
        return BUSY
    if not isinstance(error, DATABASE_ERRORS):
        return None
    driver_error = getattr(error, "orig", None) or error  # peewee keeps the driver's exception
    if isinstance(driver_error, psycopg2.Error):
        code = driver_error.pgcode or ""
        if code in _PG_KINDS:
            return _PG_KINDS[code]
        # No SQLSTATE: the connection itself failed; 08: connection exceptions; 57P: server shutting down.
        if not code or code.startswith(("08", "57P")):
            return UNAVAILABLE
        return None
    if isinstance(driver_error, InterfaceError | psycopg2.InterfaceError):
        return UNAVAILABLE
    message = str(driver_error).lower()
    if "database is locked" in message or "database table is locked" in message:
        return BUSY
    if "unable to open database" in message or "disk i/o error" in message:
        return UNAVAILABLE
    return None


def in_connection(fn: Callable[P, T]) -> Callable[P, T]:
    """Wrap a sync function so it runs inside its own (pooled) connection."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        with database.connection_context():
            return fn(*args, **kwargs)

    return wrapper


def _once_more_on_conflict(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except DATABASE_ERRORS as error:
        if failure_kind(error) != RETRY:
            raise
        return fn()  # a serialisation failure or deadlock rolled the transaction back: run it again once


_db_threads = 8
_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = weakref.WeakKeyDictionary()


def set_db_threads(count: int) -> None:
    """How many units of work may run at once in this process (each on its own thread)."""
    global _db_threads
    _db_threads = count
    _limiters.clear()


def _limiter() -> anyio.CapacityLimiter:
    loop = asyncio.get_running_loop()
    limiter = _limiters.get(loop)
    if limiter is None:
        limiter = _limiters[loop] = anyio.CapacityLimiter(_db_threads)
    return limiter


class ReadRouter(Protocol):
    """Sends a unit of work to a read replica or to the primary (db/read_routing.py)."""

    def work(self, fn: Callable[..., T], args: tuple[Any, ...]) -> Callable[[], T]: ...


_read_router: ReadRouter | None = None


def set_read_router(router: ReadRouter | None) -> None:
    """Route units of work through `router` (None: everything on the one database, as without replicas)."""
    global _read_router
    _read_router = router


def writes(fn: Callable[P, T]) -> Callable[P, T]:
    """Mark a unit of work that writes although a reading route calls it (a rate limit's count, a
    fetched track's details): it always runs on the primary."""
    fn.writes = True  # type: ignore[attr-defined]
    return fn


async def run_in_db(fn: Callable[..., T], *args: Any) -> T:
    """Run a sync unit of work on a worker thread with its own connection.

    At most DB_THREADS run at once (anyio's default is 40 threads: under load they queue for the GIL
    and the pool instead, which lengthens the slowest answers). A transaction that lost a
    serialisation conflict or a deadlock is run once more. With read replicas, the router picks the
    server (it reads the request's routing state here, on the event loop, before the thread hop).
    """
    router = _read_router
    work = functools.partial(in_connection(fn), *args) if router is None else router.work(fn, args)
    return await anyio.to_thread.run_sync(functools.partial(_once_more_on_conflict, work), limiter=_limiter())
