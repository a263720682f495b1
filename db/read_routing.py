"""Reads on streaming replicas, with read-your-writes.

A request that only reads (a GET route: `web.routing` says so) may run its units of work on a
replica; everything else, and any unit marked `@writes`, runs on the primary. After a write the
request records the primary's WAL position; the client carries it back (cookie or header, see
`web/read_position.py`) and a later read goes to a replica only once that replica has replayed it,
else to the primary. A position the client cannot have been given (garbage, or past anything the
primary wrote) simply finds no replica: the primary answers, never an error, never a wait.

Replica health (db/replicas.py) is checked on a background thread every `check_every` seconds; a
replica that is down, not a standby, or lagging past `max_lag_s` is skipped until it is back. A read
whose replica fails (it stopped, its pool is full) runs again on the primary, so a dead replica
costs a request at most its connect timeout.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import psycopg2

from db.connection import (
    BUSY,
    DATABASE_ERRORS,
    UNAVAILABLE,
    PostgresPool,
    database,
    failure_kind,
    in_connection,
    make_database,
)
from db.replicas import PRIMARY_POSITION, ReplicaState, check, choose, lsn, primary_position

T = TypeVar("T")
log = logging.getLogger("howsmytrack.replicas")

_POSITION = re.compile(r"[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}")
NOWHERE = 1 << 64  # an unreadable position: past anything a replica has, so the primary serves


def parse_position(text: str | None) -> int:
    """A client's WAL position: 0 when none was sent, NOWHERE when it is not one."""
    if not text:
        return 0
    return lsn(text) if _POSITION.fullmatch(text) else NOWHERE


@dataclass
class Visit:
    """One request's routing: whether it may read from a replica, the position its reads must
    see (the client's last write), and the position after its own writes (for the client)."""

    min_lsn: int = 0
    replica_reads: bool = False
    may_write: bool = True  # the request's method may change something: its position is recorded
    written_lsn: int = 0


_visit: contextvars.ContextVar[Visit | None] = contextvars.ContextVar("read_routing_visit", default=None)


def begin_visit(min_lsn: int, may_write: bool = True) -> Visit:
    visit = Visit(min_lsn=min_lsn, may_write=may_write)
    _visit.set(visit)
    return visit


def allow_replica_reads() -> None:
    """The route being served only reads: its units of work may run on a replica."""
    visit = _visit.get()
    if visit is not None:
        visit.replica_reads = True


# SQLSTATE 25006: a write reached a standby. A unit of work that should have been marked @writes; it
# is run again on the primary and logged, so a mistake costs time, not an answer.
READ_ONLY_TRANSACTION = "25006"


class ReplicaSet:
    """The replicas of one primary: a connection pool each, their last known state, the checker."""

    def __init__(
        self,
        primary_url: str,
        urls: tuple[str, ...],
        max_lag_s: float = 5.0,
        pool_size: int = 20,
        connect_timeout: int = 2,
        check_every: float = 1.0,
        statement_timeout_ms: int = 0,
        idle_timeout_ms: int = 60_000,
    ) -> None:
        self.primary_url = primary_url
        self.max_lag_s = max_lag_s
        self.connect_timeout = connect_timeout
        self.check_every = check_every
        self.pools: dict[str, PostgresPool] = {}
        self.states: dict[str, ReplicaState] = {}
        for url in urls:
            try:
                pool = make_database(
                    url,
                    pool_size,
                    pool_timeout=connect_timeout,
                    statement_timeout_ms=statement_timeout_ms,
                    idle_timeout_ms=idle_timeout_ms,
                    connect_timeout=connect_timeout,
                )
            except ValueError as error:
                log.error("replica %s skipped: %s", server_name(url), error)
                continue
            if isinstance(pool, PostgresPool):
                self.pools[url] = pool  # used once a check has seen it up
            else:
                log.error("replica %s skipped: replicas are PostgreSQL servers", server_name(url))
        self.reads = dict.fromkeys(self.pools, 0)  # units of work served by each replica (monitoring)
        self.fallbacks = 0  # reads a failing replica handed back to the primary
        self._checking = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- health -------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Check every replica now (the background thread calls this; tests call it directly)."""
        if not self.pools:
            return
        with self._checking:
            self._refresh()

    def _refresh(self) -> None:
        try:
            primary = primary_position(self.primary_url, self.connect_timeout)
        except psycopg2.Error:
            primary = None  # the primary is away (a failover?): replicas are checked against themselves
        for url in self.pools:
            before = self.states.get(url)
            state = check(url, primary if primary is not None else 0, self.connect_timeout)
            if primary is None and state.up:
                state = ReplicaState(url, True, state.replay_lsn, 0, state.lag_seconds)
            self.states[url] = state
            if before is None or before.up != state.up:
                if state.up:
                    log.info("replica %s is up", server_name(url))
                else:
                    log.warning("replica %s is down: reads go to the primary", server_name(url))

    def start(self) -> None:
        if not self.pools or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="replica-checker", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                self.refresh()
            except Exception:  # a checker that dies would leave stale states: log and go on
                log.exception("checking the replicas failed")
            if self._stop.wait(self.check_every):
                return

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.connect_timeout * (len(self.pools) + 1) + 1)
            self._thread = None
        for pool in self.pools.values():
            pool.close_all()

    def replica_for(self, min_lsn: int) -> str | None:
        return choose(list(self.states.values()), min_lsn, self.max_lag_s)

    def mark_down(self, url: str) -> None:
        self.states[url] = ReplicaState(url, up=False)

    # --- routing ------------------------------------------------------------------------------

    def work(self, fn: Callable[..., T], args: tuple[Any, ...]) -> Callable[[], T]:
        """The sync work for one unit of work, bound to its server (called on the event loop)."""
        visit = _visit.get()
        if visit is not None and visit.replica_reads and not getattr(fn, "writes", False):
            url = self.replica_for(visit.min_lsn)
            if url is not None:
                return lambda: self._read(url, fn, args)
            return lambda: in_connection(fn)(*args)
        writes = getattr(fn, "writes", False) or (visit is not None and visit.may_write)
        return lambda: self._on_primary(fn, args, visit if writes else None)

    def _read(self, url: str, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        try:
            result = self._on_replica(self.pools[url], fn, args)
        except DATABASE_ERRORS as error:
            kind = failure_kind(error)
            code = getattr(getattr(error, "orig", None) or error, "pgcode", None)
            if code == READ_ONLY_TRANSACTION:
                log.error("%s wrote during a read: mark it @writes", getattr(fn, "__qualname__", fn))
            elif kind in (UNAVAILABLE, BUSY):
                if kind == UNAVAILABLE:
                    self.mark_down(url)
                log.warning("replica %s failed (%s): the read goes to the primary", server_name(url), kind)
            else:
                raise
            self.fallbacks += 1
            return in_connection(fn)(*args)
        self.reads[url] += 1
        return result

    @staticmethod
    def _on_replica(pool: PostgresPool, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
        """Run `fn` with this thread's queries on one of `pool`'s connections: the connection is lent
        to the models' database for the call (peewee keeps a connection per thread)."""
        primary = database.obj
        assert isinstance(primary, PostgresPool)
        with pool.connection_context():
            primary.lend_to_this_thread(pool.connection())  # type: ignore[no-untyped-call]
            try:
                return fn(*args)
            finally:
                primary.lend_to_this_thread(None)

    @staticmethod
    def _on_primary(fn: Callable[..., T], args: tuple[Any, ...], visit: Visit | None) -> T:
        """Run `fn` on the primary; with `visit`, record the WAL position after it for the client."""
        with database.connection_context():
            result = fn(*args)
            if visit is not None:
                row = database.execute_sql(PRIMARY_POSITION).fetchone()
                visit.written_lsn = max(visit.written_lsn, lsn(row[0]))
        return result


@contextlib.contextmanager
def replica_reads(primary_url: str, urls: tuple[str, ...], max_lag_s: float) -> Iterator[str | None]:
    """For a job's big reads: this thread's queries inside the block run on a replica that lags at
    most `max_lag_s` (yields its URL), else on the primary as before (yields None). The thread's own
    connection, and its transaction, are untouched and back afterwards. Only for reads whose result
    may be a few seconds behind the primary (say so in the job's docstring)."""
    primary = database.obj
    if not urls or not isinstance(primary, PostgresPool):
        yield None
        return
    try:
        position = primary_position(primary_url)
    except psycopg2.Error:
        position = 0
    url = choose([check(url, position) for url in urls], 0, max_lag_s)
    if url is None:
        yield None
        return
    replica = make_database(url, pool_size=1, connect_timeout=2)
    assert isinstance(replica, PostgresPool)
    try:
        conn = replica.unpooled_connection()
    except psycopg2.Error:
        log.warning("replica %s failed: the job reads from the primary", server_name(url))
        yield None
        return
    try:
        with primary.borrowing(conn):
            yield url
    finally:
        conn.close()


def server_name(url: str) -> str:
    """`host:port/database` of a URL (no user, no password): a replica's name in logs and metrics."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 5432}{parts.path}"
