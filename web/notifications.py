"""The inbox (list, mark read) and its live stream of server-sent events."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from db import notifications
from db.accounts import load_current_user
from db.connection import DATABASE_ERRORS, run_in_db
from db.errors import NotAuthenticated, ValidationFailed
from web.bodies import decimal, parse_body, parse_query
from web.event_stream import HEARTBEAT, EventStreamResponse, encode
from web.live import CHECK, END, HEARTBEAT_DUE, PERIODIC, RESYNC, NotificationHub, Subscriber
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
    marked = await with_user(request, lambda user: notifications.mark_read(user.id, body.ids, body.group_id))
    return json_response({"marked": marked})


def _last_event_id(request: Request) -> int | None:
    query = parse_query(request, StreamQuery)
    header = request.headers.get("last-event-id")
    if header is None:
        return query.last_event_id
    value = decimal(header, max_digits=10)
    if value is None or value > 2**31 - 1:
        raise ValidationFailed({"Last-Event-ID": "must be a notification id"})
    return value


async def stream_notifications(request: Request) -> Response:
    claims = current_claims(request)
    after = _last_event_id(request)
    user = await run_in_db(load_current_user, claims.user_id, claims.version, claims.jti)
    if after is None:
        after = await run_in_db(notifications.latest_id, user.id)
    hub = hub_of(request)
    subscriber = hub.open(user.id)
    settings = settings_of(request)
    stream = _Stream(subscriber, claims, poll_inbox=settings.database_url.startswith("sqlite"))
    return EventStreamResponse(  # type: ignore[return-value]
        stream.chunks(after),
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        on_close=lambda: hub.close(subscriber),
    )


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


class _Stream:
    """One open stream: replay what came after the client's last id, then each notification as it
    is announced, and a heartbeat comment whenever the hub says one is due.

    The token is checked again when the user's sessions change (an announcement) and after the
    listener reconnects (one may have been missed); its expiry at each periodic check. On SQLite
    (`poll_inbox`) the periodic check also reads the inbox, for what other processes wrote.
    The stream ends with `event: session_ended` once its token is no longer honoured."""

    __slots__ = ("after", "claims", "high_water", "poll_inbox", "seen", "subscriber")

    def __init__(self, subscriber: Subscriber, claims: Claims, poll_inbox: bool) -> None:
        self.subscriber = subscriber
        self.claims = claims
        self.poll_inbox = poll_inbox
        self.seen: set[int] = set()
        self.after = self.high_water = 0

    def _fresh(self, rows: list[dict[str, Any]]) -> list[bytes]:
        chunks = []
        for row in rows:
            if row["id"] in self.seen or row["id"] <= self.after:
                continue
            self.seen.add(row["id"])
            self.high_water = max(self.high_water, row["id"])
            chunks.append(encode("notification", row, row["id"]))
        if len(self.seen) > 10_000:
            self.seen.difference_update(sorted(self.seen)[:5_000])
        return chunks

    async def chunks(self, after: int) -> AsyncIterator[bytes]:
        self.after = self.high_water = after
        catch_up = True  # read the inbox from `high_water` before waiting
        yield encode("ready", {"last_event_id": after})
        while True:
            if catch_up:
                try:
                    rows = await run_in_db(notifications.since, self.subscriber.user_id, self.high_water)
                    # A full page may have more behind it: everything missed is replayed, page by page.
                    catch_up = len(rows) >= notifications.REPLAY_LIMIT
                except DATABASE_ERRORS:
                    rows = []  # the database is away: try again shortly
                for chunk in self._fresh(rows):
                    yield chunk
                if catch_up and rows:
                    continue
            if catch_up:  # a catch-up that failed is tried again shortly
                try:
                    async with asyncio.timeout(RETRY_SECONDS):
                        item = await self.subscriber.get()
                except TimeoutError:
                    continue
            else:
                item = await self.subscriber.get()
            if item == END:
                return
            if item == HEARTBEAT_DUE:
                yield HEARTBEAT
                continue
            if item == PERIODIC:
                if not self.poll_inbox:
                    if time.time() < self.claims.expires_at:
                        continue
                    item = CHECK
                else:  # SQLite: other processes' writes reach this one only through the inbox
                    catch_up, item = True, CHECK
            if item in (CHECK, RESYNC) and not await _still_honoured(self.claims):
                yield encode("session_ended", {})
                return
            if item == RESYNC:
                catch_up = True
            elif isinstance(item, list):
                for chunk in self._fresh(item):
                    yield chunk


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
            errors=("too_many_streams", "streams_full"),
            primary_reads=True,
            description="A `text/event-stream` for `EventSource`: first `event: ready`, then each new notification "
            "as `event: notification` with its `id` and the notification as JSON `data`, whichever process or job "
            "wrote it. With `Last-Event-ID` (the header browsers send on reconnecting, or `?last_event_id=`) it "
            "first replays what came after that id (up to 200). A comment line every 15 s keeps proxies from "
            "closing it. Signing out, changing the password or an expired token ends it with `event: "
            "session_ended`. At most 10 open streams per user on each server process (`429 too_many_streams`).",
        ),
    ),
]
