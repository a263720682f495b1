"""One LISTEN connection per process: hands every NOTIFY on the notifications channel to a callback.

It runs on its own thread with its own (unpooled, autocommit) connection. When the connection is
lost (a database restart, a network cut) it reconnects by itself, backing off up to two seconds,
and then calls `on_connect` again, so that streams replay from the inbox what was announced meanwhile
(it is called after the first LISTEN too: a stream opened before it took effect catches up then).
A quiet connection is checked every few seconds, so a silently dead one is noticed too.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
from collections.abc import Callable

import psycopg2
import psycopg2.extensions

log = logging.getLogger("howsmytrack.notifications")


class PgListener(threading.Thread):
    CHECK_SECONDS = 5.0
    MAX_BACKOFF = 2.0

    def __init__(
        self, url: str, channel: str, on_message: Callable[[str], None], on_connect: Callable[[], None]
    ) -> None:
        super().__init__(name="notification-listener", daemon=True)
        self.url = url
        self.channel = channel
        self.on_message = on_message
        self.on_connect = on_connect
        self.connected = threading.Event()
        self.connections = 0  # how many times it connected (1 + reconnections)
        self._stopping = threading.Event()
        self._wake_read, self._wake_write = os.pipe()

    def stop(self) -> None:
        self._stopping.set()
        with contextlib.suppress(OSError):
            os.write(self._wake_write, b"x")
        if self.is_alive():
            self.join(5)
        for fd in (self._wake_read, self._wake_write):
            with contextlib.suppress(OSError):
                os.close(fd)

    def run(self) -> None:
        backoff = 0.1
        while not self._stopping.is_set():
            conn = None
            try:
                conn = psycopg2.connect(self.url, connect_timeout=5, keepalives=1, keepalives_idle=10)
                conn.autocommit = True
                with conn.cursor() as cursor:
                    cursor.execute(f"LISTEN {self.channel}")
                self.connections += 1
                self.on_connect()
                self.connected.set()
                backoff = 0.1
                self._listen(conn)
            except psycopg2.Error as error:
                if not self._stopping.is_set():
                    log.warning("notification listener lost its connection: %s", str(error).strip())
            finally:
                self.connected.clear()
                if conn is not None:
                    with contextlib.suppress(psycopg2.Error):
                        conn.close()
            self._stopping.wait(backoff)
            backoff = min(backoff * 2, self.MAX_BACKOFF)

    def _listen(self, conn: psycopg2.extensions.connection) -> None:
        while not self._stopping.is_set():
            ready, _, _ = select.select([conn, self._wake_read], [], [], self.CHECK_SECONDS)
            if self._wake_read in ready:
                return
            if not ready:
                with conn.cursor() as cursor:
                    cursor.execute("SELECT 1")
            conn.poll()
            while conn.notifies:
                self.on_message(conn.notifies.pop(0).payload)
