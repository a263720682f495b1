"""A server-sent events reader for tests: reads a stream on its own thread, so a test can wait for
the next event with a timeout instead of sleeping."""

from __future__ import annotations

import json
import queue
import threading
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Event:
    event: str
    id: str | None
    data: str

    @property
    def json(self) -> Any:
        return json.loads(self.data)


class EventStream:
    """`with EventStream(url, headers) as stream:` opens the stream; `stream.next()` is the next event."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        self.url = url
        self.headers = headers or {}
        self.status: int | None = None
        self.body = b""
        self.ended = threading.Event()
        self.heartbeats = 0
        self._opened = threading.Event()
        self._events: queue.Queue[Event] = queue.Queue()
        self._client = httpx.Client(timeout=httpx.Timeout(5, read=None))
        self._thread = threading.Thread(target=self._read, daemon=True)

    def __enter__(self) -> EventStream:
        self._thread.start()
        assert self._opened.wait(15), "the stream did not answer"
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()
        self._thread.join(5)

    def _read(self) -> None:
        try:
            with self._client.stream("GET", self.url, headers=self.headers) as response:
                self.status = response.status_code
                self._opened.set()
                if response.status_code != 200:
                    self.body = response.read()
                    return
                fields: dict[str, str] = {}
                data: list[str] = []
                for line in response.iter_lines():
                    if line == "":
                        if data or fields:
                            self._events.put(Event(fields.get("event", "message"), fields.get("id"), "\n".join(data)))
                        fields, data = {}, []
                    elif line.startswith(":"):
                        self.heartbeats += 1  # a comment: the heartbeat
                    else:
                        name, _, value = line.partition(":")
                        value = value.removeprefix(" ")
                        if name == "data":
                            data.append(value)
                        else:
                            fields[name] = value
        except (httpx.HTTPError, RuntimeError, ValueError):
            pass  # closed by __exit__ or by the server
        finally:
            self._opened.set()
            self.ended.set()

    def next(self, kind: str = "notification", timeout: float = 15) -> Event:
        """The next event of `kind` (events of other kinds before it are skipped)."""
        while True:
            event = self._events.get(timeout=timeout)
            if event.event == kind:
                return event

    def notification(self, kind: str, timeout: float = 15) -> Event:
        """The next notification of `kind` (others before it are skipped)."""
        while True:
            event = self.next(timeout=timeout)
            if event.json["kind"] == kind:
                return event

    def pending(self) -> list[Event]:
        """Events received and not yet taken."""
        found = []
        while not self._events.empty():
            found.append(self._events.get_nowait())
        return found
