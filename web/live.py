"""This process's live notification streams, and getting each announced notification to them.

A dispatcher thread takes announcements (from the PostgreSQL listener, or on SQLite from this
process's own commits), fetches the announced rows that belong to users with a stream here (one
query per batch, whatever the number of streams), and hands each row to its user's streams on
their own event loops. Announcements about users with no stream here cost nothing but parsing.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import queue
import signal
import threading
import time
from typing import Any

from db import notifications
from db.connection import database
from db.errors import StreamsFull, TooManyStreams
from db.notification_listener import PgListener
from web.event_stream import OVERFLOW

log = logging.getLogger("howsmytrack.notifications")

# What a stream's queue carries besides notification rows.
CHECK = "check"  # the user's sessions changed: is this stream's token still honoured?
HEARTBEAT_DUE = "heartbeat"  # time for the comment line that keeps proxies from closing the stream
PERIODIC = "periodic"  # time for the stream's periodic check
RESYNC = "resync"  # announcements may have been missed: read the inbox from the last id seen
END = "end"  # the process is stopping
BATCH = 1000
# Items a stream may hold unsent: a client that stops reading is ended there (bounded memory).
MAX_QUEUED = 1000
TICK = 0.5  # seconds between the dispatcher's timer ticks


def uvicorn_is_stopping() -> bool:
    """Whether the uvicorn server running this process was told to stop (SIGTERM, Ctrl-C, a reload).

    uvicorn then waits for every open connection to finish before it shuts the app down, which a
    stream never does by itself; nor does it tell the app. While it serves, its `Server.handle_exit`
    is the SIGTERM handler, so that server's `should_exit` is found through it (as SSE libraries
    do). Under anything else this stays False, and uvicorn's graceful-shutdown timeout applies."""
    server = getattr(signal.getsignal(signal.SIGTERM), "__self__", None)
    return bool(getattr(server, "should_exit", False))


class Subscriber:
    """One open stream: its user, and the items waiting for it (read on its own event loop).

    A list and, while the stream waits, one future: thousands of these stay open per process,
    and an asyncio.Queue (three deques) would double what each costs."""

    __slots__ = ("_items", "_waiter", "loop", "slot", "task", "user_id")
    _opened = itertools.count()

    def __init__(self, user_id: int, loop: asyncio.AbstractEventLoop) -> None:
        self.user_id = user_id
        self.loop = loop
        self.slot = next(Subscriber._opened)  # spreads the streams' timers (see NotificationHub._run)
        self._items: list[Any] = []
        self._waiter: asyncio.Future[None] | None = None
        # The task serving the stream (the request's): cancelled when its client stops reading.
        self.task = asyncio.current_task(loop)

    def put(self, item: Any) -> None:
        """From any thread."""
        with contextlib.suppress(RuntimeError):  # its loop has closed: the stream is gone
            self.loop.call_soon_threadsafe(self.put_here, item)

    def put_here(self, item: Any) -> None:
        """On the stream's own loop. Past `MAX_QUEUED` waiting items the client is not reading (its
        send is stuck): the items go and the stream is ended (its task cancelled with `OVERFLOW`)."""
        if len(self._items) >= MAX_QUEUED:
            self._items.clear()
            if self.task is not None and not self.task.done():
                self.task.cancel(OVERFLOW)
            return
        self._items.append(item)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def get(self) -> Any:
        while not self._items:
            self._waiter = self.loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.pop(0)


class NotificationHub:
    def __init__(
        self,
        database_url: str,
        max_streams_per_user: int,
        max_streams: int = 2000,
        heartbeat_seconds: float = 15,
        check_seconds: float = 30,
    ) -> None:
        self.database_url = database_url
        self.max_streams_per_user = max_streams_per_user
        self.max_streams = max_streams
        self._open = 0
        self.heartbeat_seconds = heartbeat_seconds
        self.check_seconds = check_seconds
        self._subscribers: dict[int, set[Subscriber]] = {}
        self._lock = threading.Lock()
        self._announcements: queue.Queue[str | None] = queue.Queue()
        self._dispatcher: threading.Thread | None = None
        self.listener: PgListener | None = None

    @property
    def open_streams(self) -> int:
        with self._lock:
            return self._open

    def open(self, user_id: int) -> Subscriber:
        """Register a stream for `user_id` on the running loop; TooManyStreams past the cap."""
        self._start()
        subscriber = Subscriber(user_id, asyncio.get_running_loop())
        with self._lock:
            if self._open >= self.max_streams:
                raise StreamsFull(retry_after=5)
            streams = self._subscribers.setdefault(user_id, set())
            if len(streams) >= self.max_streams_per_user:
                raise TooManyStreams(retry_after=30)
            streams.add(subscriber)
            self._open += 1
        return subscriber

    def close(self, subscriber: Subscriber) -> None:
        with self._lock:
            streams = self._subscribers.get(subscriber.user_id)
            if streams is not None and subscriber in streams:
                streams.discard(subscriber)
                self._open -= 1
                if not streams:
                    del self._subscribers[subscriber.user_id]

    def announce(self, message: str) -> None:
        """Take an announcement payload (from any thread)."""
        self._announcements.put(message)

    def _start(self) -> None:
        with self._lock:
            if self._dispatcher is not None:
                return
            self._dispatcher = threading.Thread(target=self._run, name="notification-dispatcher", daemon=True)
            self._dispatcher.start()
            if self.database_url.startswith("sqlite"):
                notifications.listen_locally(self.announce)
            else:
                self.listener = PgListener(
                    self.database_url, notifications.CHANNEL, self.announce, lambda: self.announce(RESYNC)
                )
                self.listener.start()

    def stop(self) -> None:
        """End every stream and the threads (at shutdown)."""
        with self._lock:
            dispatcher, self._dispatcher = self._dispatcher, None
            everyone = [sub for subs in self._subscribers.values() for sub in subs]
        if dispatcher is None:
            return
        notifications.stop_listening_locally(self.announce)
        if self.listener is not None:
            self.listener.stop()
            self.listener = None
        self._announcements.put(None)
        dispatcher.join(5)
        for subscriber in everyone:
            subscriber.put(END)

    def _run(self) -> None:
        """Dispatch announcements; and, one timer for every stream, the heartbeats and periodic
        checks (a timer per stream would cost each one a handle and a wake-up of its own)."""
        ending = False
        tick, next_tick = 0, time.monotonic() + TICK
        while True:
            try:
                message = self._announcements.get(timeout=max(0.0, next_tick - time.monotonic()))
            except queue.Empty:
                message = ""
            if message is None:
                return
            now = time.monotonic()
            if now >= next_tick:
                # Each stream's heartbeat and check come round once per interval, spread over it
                # in slots, so thousands of streams never all wake at once.
                tick += 1
                next_tick = now + TICK
                self._to_slot(HEARTBEAT_DUE, tick, self.heartbeat_seconds)
                self._to_slot(PERIODIC, tick, self.check_seconds)
            if not ending and uvicorn_is_stopping():
                ending = True  # uvicorn waits for open connections to close: close the streams
                self._to_everyone(END)
            if not message:
                continue
            batch = [message]
            while len(batch) < BATCH:
                try:
                    more = self._announcements.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._announcements.put(None)
                    break
                batch.append(more)
            try:
                self._dispatch(batch)
            except Exception:  # a dispatcher that dies would silence every stream
                log.exception("notification dispatch failed; streams will catch up from the inbox")
                self._to_everyone(RESYNC)

    def _to_slot(self, item: str, tick: int, interval: float) -> None:
        slots = max(1, round(interval / TICK))
        with self._lock:
            due = [sub for subs in self._subscribers.values() for sub in subs if sub.slot % slots == tick % slots]
        for subscriber in due:
            subscriber.put(item)

    def _streams_of(self, user_id: int) -> list[Subscriber]:
        with self._lock:
            return list(self._subscribers.get(user_id, ()))

    def _to_everyone(self, item: str) -> None:
        with self._lock:
            everyone = [sub for subs in self._subscribers.values() for sub in subs]
        for subscriber in everyone:
            subscriber.put(item)

    def _dispatch(self, batch: list[str]) -> None:
        if RESYNC in batch:
            self._to_everyone(RESYNC)
        with self._lock:
            listening = set(self._subscribers)
        wanted: list[int] = []
        for message in batch:
            announcement = notifications.parse(message)
            if announcement is None:
                continue
            if announcement.kind == "session" and announcement.user_id in listening:
                for subscriber in self._streams_of(announcement.user_id):
                    subscriber.put(CHECK)
            wanted.extend(i for user_id, i in announcement.pairs if user_id in listening)
        if not wanted:
            return
        with database.connection_context():
            found = notifications.by_ids(wanted)
        by_user: dict[int, list[dict[str, Any]]] = {}
        for user_id, row in found:
            by_user.setdefault(user_id, []).append(row)
        for user_id, rows in by_user.items():
            for subscriber in self._streams_of(user_id):
                subscriber.put(rows)
