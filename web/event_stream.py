"""A lean server-sent event response: thousands stay open per process.

An open stream costs the handler's own task and nothing else: the events come from an async
iterator of ready-encoded chunks (heartbeats included, so there is no timer per stream), and a
client that went away is noticed before each chunk is sent, by a receive that does not wait. So a
vanished client's stream ends at its next heartbeat at the latest. (A general-purpose SSE library
measured ~52 KB per idle stream here, from a task group of four tasks per stream; this is the part
of it the inbox needs.)
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
from starlette.types import Receive, Scope, Send

HEARTBEAT = b": keep-alive\n\n"
OVERFLOW = "the client stopped reading"  # the reason a hub gives when it cancels a stream's task


def encode(event: str, data: Any, event_id: int | None = None) -> bytes:
    """One event; `data` as JSON on one line (json.dumps never writes a newline)."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data)}\n\n".encode()


class EventStreamResponse:
    def __init__(
        self,
        chunks: AsyncIterator[bytes],
        headers: dict[str, str] | None = None,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self.chunks = chunks
        self.on_close = on_close
        self.headers = [(b"content-type", b"text/event-stream; charset=utf-8")] + [
            (name.lower().encode(), value.encode()) for name, value in (headers or {}).items()
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.headers})
            async for chunk in self.chunks:
                if await _gone(receive):
                    return
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:
            pass  # the client went away mid-write
        except asyncio.CancelledError as cancelled:
            if cancelled.args != (OVERFLOW,):
                raise
            # Ended by the hub: the client stopped reading. The response stays incomplete, so the
            # server closes the connection.
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
        finally:
            await self.chunks.aclose()  # type: ignore[attr-defined]
            if self.on_close is not None:
                self.on_close()


async def _gone(receive: Receive) -> bool:
    """Whether the client disconnected, without waiting (as Starlette's Request.is_disconnected)."""
    with anyio.CancelScope() as scope:
        scope.cancel()
        message = await receive()
        return bool(message["type"] == "http.disconnect")
    return False
