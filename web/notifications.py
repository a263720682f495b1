"""The inbox (list, mark read) and its live stream of server-sent events."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response

from db import notifications
from db.accounts import load_current_user
from db.connection import DATABASE_ERRORS, run_in_db
from db.errors import NotAuthenticated, ValidationFailed
from web.bodies import parse_body, parse_query
from web.live import CHECK, END, RESYNC, NotificationHub, Subscriber
from web.routing import RouteDoc, api, json_response
from web.schemas import Marked, MarkNotificationsRead, NotificationFilter, NotificationPage, StreamQuery
from web.session import current_claims, settings_of, with_user
from web.tokens import Claims

RETRY_SECONDS = 1.0


def hub_of(request: Request) -> NotificationHub:
    hub: NotificationHub = request.app.state.notification_hub
    return hub


async def list_notifications(request: Request) -> Response:
    query = parse_query(request, NotificationFilter)
    page = await with_user(request, lambda user: notifications.inbox(user.id, query.unread, query.page, query.per_page))
    return json_response(page)


async def mark_notifications_read(request: Request) -> Response:
    body = await parse_body(request, MarkNotificationsRead)
    return json_response({"marked": await with_user(request, lambda user: notifications.mark_read(user.id, body.ids))})


def _last_event_id(request: Request) -> int | None:
    query = parse_query(request, StreamQuery)
    header = request.headers.get("last-event-id")
    if header is None:
        return query.last_event_id
    if not header.isdigit() or len(header) > 10 or int(header) > 2**31 - 1:
        raise ValidationFailed({"Last-Event-ID": "must be a notification id"})
    return int(header)


async def stream_notifications(request: Request) -> Response:
    claims = current_claims(request)
    after = _last_event_id(request)
    user = await run_in_db(load_current_user, claims.user_id, claims.version, claims.jti)
    if after is None:
        after = await run_in_db(notifications.latest_id, user.id)
    hub = hub_of(request)
    subscriber = hub.open(user.id)
    settings = settings_of(request)
    return EventSourceResponse(
        _events(hub, subscriber, claims, after, settings.stream_check_seconds),
        ping=settings.stream_heartbeat_seconds,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        send_timeout=30,
        background=BackgroundTask(hub.close, subscriber),
    )


def _event(row: dict[str, Any]) -> ServerSentEvent:
    return ServerSentEvent(data=json.dumps(row), event="notification", id=str(row["id"]))


async def _still_honoured(claims: Claims) -> bool:
    if time.time() >= claims.expires_at:
        return False
    try:
        await run_in_db(load_current_user, claims.user_id, claims.version, claims.jti)
    except NotAuthenticated:
        return False
    except DATABASE_ERRORS:
        pass  # the database is away: keep the stream, check again next time
    return True


async def _events(
    hub: NotificationHub, subscriber: Subscriber, claims: Claims, after: int, check_seconds: float
) -> AsyncIterator[ServerSentEvent]:
    """Replay what came after `after`, then each notification as it is announced. The token is
    checked again whenever the user's sessions change and every `check_seconds`; the stream ends
    (after a `session_ended` event) once it is no longer honoured."""
    seen: set[int] = set()
    high_water = after
    catch_up = True  # read the inbox from `high_water` before waiting

    def fresh(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        nonlocal high_water
        new = [row for row in rows if row["id"] not in seen and row["id"] > after]
        for row in new:
            seen.add(row["id"])
            high_water = max(high_water, row["id"])
        if len(seen) > 10_000:
            seen.difference_update(sorted(seen)[:5_000])
        return new

    try:
        yield ServerSentEvent(data=json.dumps({"last_event_id": after}), event="ready")
        while True:
            if catch_up:
                try:
                    rows = await run_in_db(notifications.since, subscriber.user_id, high_water)
                    catch_up = False
                except DATABASE_ERRORS:
                    rows = []  # try again at the next check
                for row in fresh(rows):
                    yield _event(row)
            # A catch-up that failed (the database was away) is tried again soon, not at the next check.
            wait = min(check_seconds, RETRY_SECONDS) if catch_up else check_seconds
            try:
                item = await asyncio.wait_for(subscriber.queue.get(), timeout=wait)
            except TimeoutError:
                item = CHECK
                catch_up = True  # a job in another process on SQLite, or an announcement lost
            if item == END:
                return
            if item == CHECK and not await _still_honoured(claims):
                yield ServerSentEvent(data="{}", event="session_ended")
                return
            if item == RESYNC:
                catch_up = True
            elif isinstance(item, list):
                for row in fresh(item):
                    yield _event(row)
    finally:
        hub.close(subscriber)


TAG = "notifications"
routes = [
    api(
        "/notifications",
        list_notifications,
        "GET",
        RouteDoc(
            "Your notifications, newest first",
            TAG,
            query=NotificationFilter,
            response=NotificationPage,
            description="What happened to you: grouped, feedback received (a count while it is locked), feedback "
            "unlocked, replies, reminders, withdrawn requests. Each carries the ids to link to; none says who "
            "wrote what. `unread=true` lists only the unread. Read ones are deleted after 30 days.",
        ),
    ),
    api(
        "/notifications/read",
        mark_notifications_read,
        "POST",
        RouteDoc(
            "Mark notifications read",
            TAG,
            MarkNotificationsRead,
            response=Marked,
            description="`{ids}` marks those of yours (other ids are ignored; at most 1000), `{all: true}` every "
            "one. Answers how many changed.",
        ),
    ),
    api(
        "/notifications/stream",
        stream_notifications,
        "GET",
        RouteDoc(
            "Live notifications (server-sent events)",
            TAG,
            query=StreamQuery,
            media_type="text/event-stream",
            errors=("too_many_streams",),
            description="A `text/event-stream` for `EventSource`: first `event: ready`, then each new notification "
            "as `event: notification` with its `id` and the notification as JSON `data`, whichever process or job "
            "wrote it. With `Last-Event-ID` (the header browsers send on reconnecting, or `?last_event_id=`) it "
            "first replays what came after that id (up to 200). A comment line every 15 s keeps proxies from "
            "closing it. Signing out, changing the password or an expired token ends it with `event: "
            "session_ended`. At most 10 open streams per user on each server process (`429 too_many_streams`).",
        ),
    ),
]
