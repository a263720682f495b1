"""Readiness: can this process reach its database? Answered from a connection of its own, outside
the pool and the units of work's thread limit, so a busy process (every pooled connection in use,
requests queued) still reports itself ready and a load balancer does not drain it under load.

One probe runs at a time; a probe that finds the previous one still waiting on the database says
"not ready" at once rather than queueing behind it.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from typing import Any

import psycopg2

PROBE_FAILURES: tuple[type[Exception], ...] = (psycopg2.Error, sqlite3.Error, OSError)


class ReadinessProbe:
    CONNECT_TIMEOUT_SECONDS = 2

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.Lock()
        self._connection: Any = None

    def check(self) -> bool:
        """True when the database answered `SELECT 1` (blocking: call it from a thread)."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            connection = self._connection or self._connect()
            cursor = connection.cursor()
            cursor.execute("SELECT 1")
            cursor.fetchone()
            cursor.close()
            return True
        except PROBE_FAILURES:
            self._drop()
            return False
        finally:
            self._lock.release()

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _connect(self) -> Any:
        if self.url.startswith("sqlite:///"):
            connection: Any = sqlite3.connect(self.url[len("sqlite:///") :], check_same_thread=False, timeout=2)
        else:
            connection = psycopg2.connect(self.url, connect_timeout=self.CONNECT_TIMEOUT_SECONDS)
            connection.autocommit = True  # no transaction left open on a pooler's server connection
        self._connection = connection
        return connection

    def _drop(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(*PROBE_FAILURES):
                self._connection.close()
            self._connection = None
