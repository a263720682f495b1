"""The email outbox: every email the service sends, queued in the same transaction as the change it
announces and delivered after commit, so an email never depends on a process staying alive after it
answered, and a failing SMTP server never undoes the change.

Queueing: `queue_account_email` (links, resets, change notices: written by the unit of work that
makes the token) and `queue_group_emails` (the jobs). Each queueing wakes the senders: on PostgreSQL
a NOTIFY on `CHANNEL` (delivered at commit, dropped on rollback) that every web process LISTENs to;
on SQLite this process's own sender, after commit.

Delivery (`deliver`): a sender first claims a batch of due rows (`claimed_by`, `claimed_at`; on
PostgreSQL with `FOR UPDATE SKIP LOCKED`, on SQLite under the write lock), so two senders never take
the same row. Each message's outcome is recorded: delivered (`sent_at`), refused for good
(`failed_at`: a recipient the server rejects, an address that cannot be written, or MAX_ATTEMPTS
used), or retried later (`next_attempt_at`, backing off from 15 s to 10 min, so an SMTP server down
for half an hour loses nothing). A claim not settled within its lease (its sender died: 30 s for an
account email, 30 min for a job's run) is free to claim again, so delivery is at least once. A
settled row's payload (a link's token) is emptied.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from peewee import JOIN, fn

from db.bulk import batched
from db.connection import database, is_postgres
from db.email_texts import (
    ACCOUNT_KINDS,
    ADDRESS_CHANGED,
    GROUP_KINDS,
    GROUPED,
    LAST_CALL,
    REMINDER,
    RESET_PASSWORD,
    VERIFY_ADDRESS,
    render,
)
from db.models import EmailOutbox, FeedbackGroup, FeedbackRequest, User, utcnow
from db.rows import dict_rows
from mail import Mailer, MailError
from settings import Settings

__all__ = [
    "ACCOUNT_KINDS",
    "ADDRESS_CHANGED",
    "ALL_KINDS",
    "GROUPED",
    "LAST_CALL",
    "REMINDER",
    "RESET_PASSWORD",
    "VERIFY_ADDRESS",
    "Delivery",
    "deliver",
]

ALL_KINDS = GROUP_KINDS + ACCOUNT_KINDS
CHANNEL = "howsmytrack_outbox"
MAX_ATTEMPTS = 10
BATCH = 200
MAX_PER_RUN = 200_000
# A claim not settled by then is taken to be its sender's death. Account emails go a few at a time
# (a web process's sender takes at most ACCOUNT_BATCH), so theirs is short; a job claims its whole run.
CLAIM_LEASE = dt.timedelta(minutes=30)
ACCOUNT_CLAIM_LEASE = dt.timedelta(seconds=30)
ACCOUNT_BATCH = 20
FIRST_RETRY = dt.timedelta(seconds=15)
LONGEST_WAIT = dt.timedelta(minutes=10)


def retry_delay(attempts: int) -> dt.timedelta:
    """How long a message that failed `attempts` times waits before the next try."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


# --- queueing --------------------------------------------------------------------------------------

_local_senders: list[Callable[[], None]] = []
_local_lock = threading.Lock()


def wake_me_locally(wake: Callable[[], None]) -> None:
    """SQLite: `wake()` is called after each commit that queued an email (this process's sender)."""
    with _local_lock:
        _local_senders.append(wake)


def stop_waking_me_locally(wake: Callable[[], None]) -> None:
    with _local_lock:
        if wake in _local_senders:
            _local_senders.remove(wake)


def _wake_senders() -> None:
    if is_postgres():
        database.execute_sql("SELECT pg_notify(%s, '')", (CHANNEL,))
        return

    def wake() -> None:
        with _local_lock:
            senders = list(_local_senders)
        for sender in senders:
            sender()

    database.after_commit(wake)


def queue_account_email(user_id: int, kind: str, to_address: str, **payload: Any) -> None:
    """Queue an account email (inside the caller's transaction, which decides whether it goes)."""
    assert kind in ACCOUNT_KINDS, kind
    EmailOutbox.insert(
        user=user_id, kind=kind, to_address=to_address, payload=json.dumps(payload), created_at=utcnow()
    ).execute()
    _wake_senders()


def queue_group_emails(rows: Any) -> int:
    """Queue group emails from `rows` (a query selecting user id, request id, kind, created_at)."""
    columns = [EmailOutbox.user, EmailOutbox.request, EmailOutbox.kind, EmailOutbox.created_at]
    return int(EmailOutbox.insert_from(rows, columns).as_rowcount().execute())


def queue_reminder_emails(request_ids: Sequence[int], kind: str, now: dt.datetime) -> int:
    """Queue a `kind` email for each of these requests whose owner asked for email and reminders."""
    rows = (
        FeedbackRequest.select(FeedbackRequest.user, FeedbackRequest.id, kind, now)
        .join(User, on=(FeedbackRequest.user == User.id))
        .where(
            FeedbackRequest.id.in_(list(request_ids)) & FeedbackRequest.email_when_grouped & User.send_reminder_emails
        )
    )
    return queue_group_emails(rows)


# --- delivery --------------------------------------------------------------------------------------


def _due(kinds: Sequence[str], now: dt.datetime) -> Any:
    return (
        EmailOutbox.kind.in_(list(kinds))
        & EmailOutbox.sent_at.is_null()
        & EmailOutbox.failed_at.is_null()
        & (EmailOutbox.next_attempt_at.is_null() | (EmailOutbox.next_attempt_at <= now))
        & (
            EmailOutbox.claimed_at.is_null()
            | (EmailOutbox.claimed_at < now - CLAIM_LEASE)
            | (EmailOutbox.kind.in_(ACCOUNT_KINDS) & (EmailOutbox.claimed_at < now - ACCOUNT_CLAIM_LEASE))
        )
    )


def _claim(kinds: Sequence[str], sender: str, now: dt.datetime, limit: int) -> int:
    """Take up to `limit` due rows of `kinds` for `sender`; returns how many it took."""
    claimable = EmailOutbox.select(EmailOutbox.id).where(_due(kinds, now)).order_by(EmailOutbox.id).limit(limit)
    if is_postgres():
        claimable = claimable.for_update(skip_locked=True)
    with database.atomic():
        return int(EmailOutbox.update(claimed_by=sender, claimed_at=now).where(EmailOutbox.id.in_(claimable)).execute())


def _claimed(sender: str) -> list[dict[str, Any]]:
    """This sender's claimed rows, with what rendering needs, in one query."""
    rows = dict_rows(
        EmailOutbox.select(
            EmailOutbox.id,
            EmailOutbox.kind,
            EmailOutbox.attempts,
            EmailOutbox.to_address,
            EmailOutbox.payload,
            User.email,
            FeedbackRequest.group.alias("group_id"),
            FeedbackGroup.name.alias("group_name"),
        )
        .join(User, on=(EmailOutbox.user == User.id))
        .switch(EmailOutbox)
        .join(FeedbackRequest, JOIN.LEFT_OUTER, on=(EmailOutbox.request == FeedbackRequest.id))
        .join(FeedbackGroup, JOIN.LEFT_OUTER, on=(FeedbackRequest.group == FeedbackGroup.id))
        .where(EmailOutbox.claimed_by == sender)
        .order_by(EmailOutbox.id)
    )
    for row in rows:
        row["payload"] = json.loads(row["payload"]) if row["payload"] else None
    return rows


@dataclass
class Delivery:
    sent: int = 0
    retrying: int = 0
    refused: int = 0
    first_retry_error: str | None = None
    first_refusal: str | None = None

    def problems(self, what: str) -> list[str]:
        """A job's notes about its emails (refusals are noted; only retries make a run partial)."""
        notes = []
        if self.retrying:
            notes.append(f"{self.retrying} {what}(s) not sent, will retry: {self.first_retry_error}")
        if self.refused:
            notes.append(f"{self.refused} {what}(s) refused for good: {self.first_refusal}")
        return notes


def _record(rows: list[dict[str, Any]], results: list[Exception | None], delivery: Delivery, now: dt.datetime) -> None:
    """Settle each message of a batch: delivered, refused for good, or released for a later try."""
    sent = [row["id"] for row, error in zip(rows, results, strict=True) if error is None]
    refused: list[tuple[int, str]] = []
    retry: list[tuple[int, int, str]] = []
    for row, error in zip(rows, results, strict=True):
        if error is None:
            continue
        text = str(error)[:1000]
        permanent = isinstance(error, MailError) and error.permanent
        if permanent or row["attempts"] + 1 >= MAX_ATTEMPTS:
            refused.append((row["id"], text))
        else:
            retry.append((row["id"], row["attempts"] + 1, text))
    released = {
        EmailOutbox.claimed_by: None,
        EmailOutbox.claimed_at: None,
        EmailOutbox.attempts: EmailOutbox.attempts + 1,
    }
    settled = {**released, EmailOutbox.payload: None, EmailOutbox.next_attempt_at: None}
    with database.atomic():
        if sent:
            EmailOutbox.update({**settled, EmailOutbox.sent_at: now}).where(EmailOutbox.id.in_(sent)).execute()
        # Each failure keeps its own error text; failures are few.
        for row_id, text in refused:
            EmailOutbox.update({**settled, EmailOutbox.failed_at: now, EmailOutbox.last_error: text}).where(
                EmailOutbox.id == row_id
            ).execute()
        for row_id, attempts, text in retry:
            EmailOutbox.update(
                {**released, EmailOutbox.last_error: text, EmailOutbox.next_attempt_at: now + retry_delay(attempts)}
            ).where(EmailOutbox.id == row_id).execute()
    if refused:
        delivery.first_refusal = delivery.first_refusal or refused[0][1]
    if retry:
        delivery.first_retry_error = delivery.first_retry_error or retry[0][2]
    delivery.sent += len(sent)
    delivery.refused += len(refused)
    delivery.retrying += len(retry)


def at(epoch_seconds: float) -> dt.datetime:
    """A clock's reading as the naive UTC the tables hold (deliveries follow `settings.clock`)."""
    return dt.datetime.fromtimestamp(epoch_seconds, dt.UTC).replace(tzinfo=None)


def deliver(
    kinds: Sequence[str], settings: Settings, mailer: Mailer | None = None, limit: int = MAX_PER_RUN
) -> Delivery:
    """Claim and send the due emails of `kinds`, recording each message's outcome.

    Batches go out over SMTP_CONNECTIONS connections at once (an SMTP exchange is mostly waiting
    for the server); this thread renders them and records each batch's outcome as it returns, in
    order, so the database is only ever used from here."""
    mailer = mailer or Mailer(settings)
    sender = uuid.uuid4().hex
    delivery = Delivery()
    now = at(settings.clock())
    if not _claim(kinds, sender, now, limit):
        return delivery
    in_flight: deque[tuple[list[dict[str, Any]], Future[list[Exception | None]]]] = deque()
    with ThreadPoolExecutor(max_workers=settings.smtp_connections, thread_name_prefix="smtp") as senders:
        for rows in batched(_claimed(sender), BATCH):
            batch = list(rows)
            in_flight.append((batch, senders.submit(mailer.send_many, [render(row, settings) for row in batch])))
            if len(in_flight) > 2 * settings.smtp_connections:
                done, results = in_flight.popleft()
                _record(done, results.result(), delivery, now)
        while in_flight:
            done, results = in_flight.popleft()
            _record(done, results.result(), delivery, now)
    return delivery


def next_due(kinds: Sequence[str]) -> dt.datetime | None:
    """When the earliest waiting email of `kinds` may be tried (None: nothing waits): an unclaimed
    one when it is due, a claimed one when its claim's lease runs out (its sender may have died)."""
    waiting = EmailOutbox.kind.in_(list(kinds)) & EmailOutbox.sent_at.is_null() & EmailOutbox.failed_at.is_null()
    due = fn.MIN(fn.COALESCE(EmailOutbox.next_attempt_at, EmailOutbox.created_at))
    unclaimed = _timestamp(EmailOutbox.select(due).where(waiting & EmailOutbox.claimed_at.is_null()).scalar())
    claimed = _timestamp(
        EmailOutbox.select(fn.MIN(EmailOutbox.claimed_at))
        .where(waiting & EmailOutbox.claimed_at.is_null(False))
        .scalar()
    )
    lease = ACCOUNT_CLAIM_LEASE if set(kinds) <= set(ACCOUNT_KINDS) else CLAIM_LEASE
    candidates = [when for when in (unclaimed, claimed + lease if claimed else None) if when is not None]
    return min(candidates) if candidates else None


def _timestamp(value: Any) -> dt.datetime | None:
    """An aggregate's timestamp (SQLite hands aggregates back as text)."""
    return value if value is None or isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


def backlog() -> tuple[int, dt.datetime | None]:
    """How many emails wait to be sent, and when the oldest of them was queued."""
    query = EmailOutbox.select(fn.COUNT(EmailOutbox.id), fn.MIN(EmailOutbox.created_at)).where(
        EmailOutbox.sent_at.is_null() & EmailOutbox.failed_at.is_null()
    )
    row: Any = query.tuples().get()
    return int(row[0]), _timestamp(row[1])
