"""The inbox: what happened to each user, written in the transaction of the change that caused it,
and announced to every process that holds live streams.

Kinds (an open set: clients ignore kinds they do not know):
- `grouped`: your request is in a group (group_id, request_id).
- `feedback_received`: feedback on your track was submitted (group_id, request_id, count = how many
  so far); response_id only once you may read it. Never its text or its writer.
- `feedback_unlocked`: you wrote all you owed in the group; the feedback on your track is yours to
  read (group_id, request_id, count).
- `reply`: a reply on a thread open to you (group_id, response_id).
- `reminder`: you still owe feedback in a group (group_id, request_id).
- `request_withdrawn`: your request was withdrawn (request_id; already read when you did it yourself).
- `last_call`: a group's deadline is 12 hours away and you still owe feedback there (group_id, request_id).
- `strike`: you missed a group's deadline (group_id); see your standing in /me.
- `report_dismissed` / `report_upheld`: a moderator looked at what you reported (group_id; response_id:
  the reported feedback or the thread of the reported reply) and left it, or acted on it.
- `content_removed`: a moderator removed your feedback or a reply of yours (group_id, response_id).
- `moderation_warning`: a moderator warned you about your feedback or a reply of yours (group_id,
  response_id).

Announcing: on PostgreSQL a NOTIFY on `CHANNEL`, sent inside the writing transaction (so delivered
at commit and dropped on rollback) with ids only in its payload; every app process LISTENs
(`db/notification_listener.py`), whichever worker, host or cron job wrote. On SQLite (one process,
development) the announcement goes to this process's listeners after commit; a job run in another
process reaches open streams only at their next periodic check.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from db.connection import database, is_postgres
from db.models import Notification, iso, utcnow
from db.payloads import page_of
from db.sql import Statement

GROUPED = "grouped"
FEEDBACK_RECEIVED = "feedback_received"
FEEDBACK_UNLOCKED = "feedback_unlocked"
REPLY = "reply"
REMINDER = "reminder"
REQUEST_WITHDRAWN = "request_withdrawn"
LAST_CALL = "last_call"
STRIKE = "strike"
REPORT_DISMISSED = "report_dismissed"
REPORT_UPHELD = "report_upheld"
CONTENT_REMOVED = "content_removed"
MODERATION_WARNING = "moderation_warning"
KINDS = (
    GROUPED,
    FEEDBACK_RECEIVED,
    FEEDBACK_UNLOCKED,
    REPLY,
    REMINDER,
    REQUEST_WITHDRAWN,
    LAST_CALL,
    STRIKE,
    REPORT_DISMISSED,
    REPORT_UPHELD,
    CONTENT_REMOVED,
    MODERATION_WARNING,
)

CHANNEL = "howsmytrack_notifications"
MAX_PAYLOAD = 7900  # PostgreSQL's NOTIFY payload limit is 8,000 bytes
READ_KEPT = timedelta(days=30)
UNREAD_KEPT = timedelta(days=180)
MAX_MARK = 1000
REPLAY_LIMIT = 200

# What a notification is about, by name: the group's, and the title of the recipient's own track
# (never anyone else's).
COLUMNS = """n.id, n.kind, n.group_id, n.request_id, n.response_id, n.count, n.created_at, n.read_at,
    about_group.name AS group_name, about_track.track_title AS track_title"""
SOURCE = """notification n
    LEFT JOIN feedback_group about_group ON about_group.id = n.group_id
    LEFT JOIN feedback_request about_track ON about_track.id = n.request_id AND about_track.user_id = n.user_id"""
INSERT = "INSERT INTO notification (user_id, kind, group_id, request_id, response_id, count, created_at, read_at) "


def unread_count(user: str) -> str:
    """SQL: how many notifications `user` (a column or parameter) has not read."""
    return f"(SELECT COUNT(*) FROM notification inbox WHERE inbox.user_id = {user} AND inbox.read_at IS NULL)"


def payload(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "kind": row["kind"],
        "group_id": row["group_id"],
        "request_id": row["request_id"],
        "response_id": row["response_id"],
        "count": row["count"],
        "created_at": iso(row["created_at"]),
        "read_at": iso(row["read_at"]),
        "group_name": row["group_name"],
        "track_title": row["track_title"],
    }


# --- writing ----------------------------------------------------------------------------------

_ONE = Statement(
    INSERT + "VALUES (:user, :kind, :group, :request, :response, :count, :now, :read_at) RETURNING id, user_id"
)


def notify(
    user_id: int,
    kind: str,
    *,
    group_id: int | None = None,
    request_id: int | None = None,
    response_id: int | None = None,
    count: int | None = None,
    read: bool = False,
) -> int:
    """Record one notification (inside the caller's transaction) and announce it."""
    now = utcnow()
    rows = _ONE.rows(
        user=user_id,
        kind=kind,
        group=group_id,
        request=request_id,
        response=response_id,
        count=count,
        now=now,
        read_at=now if read else None,
    )
    _announce_new((row["user_id"], row["id"]) for row in rows)
    return int(rows[0]["id"])


class NotifyFrom:
    """A set-based insert: `select` yields (user_id, kind, group_id, request_id, response_id, count,
    created_at, read_at) rows; every row inserted is announced. A `{ids}` in `select` is filled
    with the integers `run()` is given."""

    def __init__(self, select: str) -> None:
        self.text = INSERT + select + " RETURNING id, user_id"
        self.statement = None if "{ids}" in select else Statement(self.text)

    def run(self, ids: Iterable[int] = (), **params: Any) -> int:
        statement = self.statement or Statement(self.text.format(ids=", ".join(str(int(i)) for i in ids) or "NULL"))
        rows = statement.rows(**params)
        _announce_new((row["user_id"], row["id"]) for row in rows)
        return len(rows)


# --- announcing -------------------------------------------------------------------------------

Listener = Callable[[str], None]
_local_listeners: list[Listener] = []
_local_lock = threading.Lock()


def listen_locally(listener: Listener) -> None:
    """SQLite: `listener(payload)` is called after each commit that announced something."""
    with _local_lock:
        _local_listeners.append(listener)


def stop_listening_locally(listener: Listener) -> None:
    with _local_lock:
        if listener in _local_listeners:
            _local_listeners.remove(listener)


_NOTIFY_MANY = Statement("SELECT pg_notify(:channel, message) FROM unnest(CAST(:messages AS text[])) AS message")


def _publish(messages: list[str]) -> None:
    if not messages:
        return
    if is_postgres():
        _NOTIFY_MANY.rows(channel=CHANNEL, messages=messages)
        return

    def deliver() -> None:
        with _local_lock:
            listeners = list(_local_listeners)
        for listener in listeners:
            for message in messages:
                listener(message)

    database.after_commit(deliver)


def _announce_new(pairs: Iterable[tuple[int, int]]) -> None:
    messages: list[str] = []
    current = "n"
    for user_id, notification_id in pairs:
        item = f" {int(user_id)}:{int(notification_id)}"
        if len(current) + len(item) > MAX_PAYLOAD:
            messages.append(current)
            current = "n"
        current += item
    if current != "n":
        messages.append(current)
    _publish(messages)


def announce_session_change(user_id: int) -> None:
    """Tell every process that `user_id`'s sessions changed (sign-out, new password, ban): their open
    streams check their token again and end if it is no longer honoured."""
    _publish([f"s {int(user_id)}"])


@dataclass(frozen=True)
class Announcement:
    """A parsed payload: `new` notifications as (user_id, id) pairs, or a `session` change of `user_id`."""

    kind: str
    pairs: tuple[tuple[int, int], ...] = ()
    user_id: int = 0


def parse(message: str) -> Announcement | None:
    """The announcement in a payload; None for anything malformed (ignored, never fatal)."""
    head, _, rest = message.partition(" ")
    try:
        if head == "n":
            pairs = tuple((int(u), int(i)) for u, _, i in (item.partition(":") for item in rest.split()))
            return Announcement("new", pairs=pairs)
        if head == "s":
            return Announcement("session", user_id=int(rest))
    except ValueError:
        return None
    return None


# --- reading ----------------------------------------------------------------------------------

_PAGE = Statement(f"""
SELECT {COLUMNS} FROM {SOURCE}
WHERE n.user_id = :user AND (:all_kinds OR n.read_at IS NULL)
ORDER BY n.id DESC LIMIT :limit OFFSET :offset
""")
_TOTAL = Statement(
    "SELECT COUNT(*) AS total FROM notification n WHERE n.user_id = :user AND (:all_kinds OR n.read_at IS NULL)"
)
_SINCE = Statement(
    f"SELECT {COLUMNS} FROM {SOURCE} WHERE n.user_id = :user AND n.id > :after ORDER BY n.id LIMIT :limit"
)


def inbox(user_id: int, unread_only: bool, page: int, per_page: int) -> dict[str, Any]:
    """A page of the user's notifications, newest first."""
    params = {"user": user_id, "all_kinds": not unread_only}
    rows = _PAGE.rows(**params, limit=per_page, offset=(page - 1) * per_page)
    total = _TOTAL.first(**params)
    return page_of([payload(row) for row in rows], page, per_page, int(total["total"]) if total else 0)


def since(user_id: int, after_id: int, limit: int = REPLAY_LIMIT) -> list[dict[str, Any]]:
    """The user's notifications after `after_id`, oldest first (a stream's replay)."""
    return [payload(row) for row in _SINCE.rows(user=user_id, after=after_id, limit=limit)]


_LATEST = Statement("SELECT MAX(n.id) AS latest FROM notification n WHERE n.user_id = :user")


def latest_id(user_id: int) -> int:
    """The id of the user's newest notification (0 when none): where a new stream starts from."""
    row = _LATEST.first(user=user_id)
    return int(row["latest"] or 0) if row else 0


def by_ids(ids: Iterable[int]) -> list[tuple[int, dict[str, Any]]]:
    """(user_id, notification) for each id that exists, oldest first."""
    wanted = sorted(set(ids))
    found: list[tuple[int, dict[str, Any]]] = []
    for start in range(0, len(wanted), MAX_MARK):
        chunk = wanted[start : start + MAX_MARK]
        marks = ", ".join(str(int(i)) for i in chunk)  # integers, so safe to write into the SQL text
        cursor = database.execute_sql(f"SELECT n.user_id, {COLUMNS} FROM {SOURCE} WHERE n.id IN ({marks})")
        names = [column[0] for column in cursor.description]
        for values in cursor.fetchall():
            row = dict(zip(names, values, strict=True))
            found.append((int(row["user_id"]), payload(row)))
    return sorted(found, key=lambda item: int(item[1]["id"]))


def mark_read(user_id: int, ids: list[int] | None, group_id: int | None = None) -> int:
    """Mark the caller's notifications read: these `ids` (others' are ignored), those about
    `group_id` (its page was visited), or all when neither is given."""
    query = Notification.update(read_at=utcnow()).where((Notification.user == user_id) & Notification.read_at.is_null())
    if group_id is not None:
        query = query.where(Notification.group_id == group_id)
    elif ids is not None:
        wanted = sorted(set(ids))[:MAX_MARK]
        if not wanted:
            return 0
        query = query.where(Notification.id.in_(wanted))
    with database.atomic():
        return int(query.execute())


def prune(now: datetime) -> int:
    """Delete notifications read over 30 days ago, and any over 180 days old."""
    return int(
        Notification.delete()
        .where((Notification.read_at < now - READ_KEPT) | (Notification.created_at < now - UNREAD_KEPT))
        .execute()
    )
