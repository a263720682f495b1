"""Emails the jobs send: "you've been grouped" and reminders, rendered and delivered from the outbox.

Rows enter `email_outbox` in the same transaction as the change they announce; delivery happens
after commit, so a failing SMTP server never undoes that change.

Delivery: a sender first claims a batch of rows (`claimed_by`, `claimed_at`; on PostgreSQL with
`FOR UPDATE SKIP LOCKED`, on SQLite under the write lock), so two runs at once never take the same
row. Each message's outcome is recorded: delivered (`sent_at`), refused for good (`failed_at`: a
recipient the server rejects or an address that cannot be written, never blocking the others), or
to try again on the next run (up to MAX_ATTEMPTS). A claim not settled within CLAIM_LEASE (its
sender died) is free to claim again, so delivery is at least once.
"""

from __future__ import annotations

import datetime as dt
import html
import uuid
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from db.bulk import batched
from db.connection import database, is_postgres
from db.grouping import GROUPED_EMAIL
from db.models import EmailOutbox, FeedbackGroup, FeedbackRequest, User, utcnow
from db.rows import dict_rows
from mail import Mailer, MailError, Message
from settings import Settings

GROUPED = GROUPED_EMAIL
REMINDER = "reminder"
LAST_CALL = "last_call"
MAX_ATTEMPTS = 10
BATCH = 200
MAX_PER_RUN = 200_000
CLAIM_LEASE = dt.timedelta(minutes=30)


def queue_reminder_emails(request_ids: Sequence[int], kind: str, now: dt.datetime) -> int:
    """Queue a `kind` email for each of these requests whose owner asked for email and reminders, at a
    confirmed address."""
    rows = (
        FeedbackRequest.select(FeedbackRequest.user, FeedbackRequest.id, kind, now)
        .join(User, on=(FeedbackRequest.user == User.id))
        .where(
            FeedbackRequest.id.in_(list(request_ids)) & FeedbackRequest.email_when_grouped & User.send_reminder_emails
        )
    )
    columns = [EmailOutbox.user, EmailOutbox.request, EmailOutbox.kind, EmailOutbox.created_at]
    return int(EmailOutbox.insert_from(rows, columns).as_rowcount().execute())


def render(kind: str, row: dict[str, Any], settings: Settings) -> Message:
    link = f"{settings.web_url}/groups/{row['group_id']}"
    name = row["group_name"]
    if kind == GROUPED:
        subject = "You've been grouped! Time to give feedback"
        lead = f"Your request is now in {name}. Listen to the other members' tracks and write your feedback"
    elif kind == LAST_CALL:
        subject = "Last call: your group's feedback is due in 12 hours"
        lead = f"The deadline of {name} is 12 hours away and the others are still waiting for your feedback. Write it"
    else:
        subject = "Reminder: your group is waiting for your feedback"
        lead = f"The other members of {name} are waiting for your feedback. Write it"
    text = f"{lead}; you will see the feedback on your own track once you have written yours.\n\n{link}\n"
    body = (
        f"<p>{html.escape(lead)}; you will see the feedback on your own track once you have written yours.</p>"
        f'<p><a href="{html.escape(link)}">Open {html.escape(name)}</a></p>'
    )
    return Message(to=row["email"], subject=subject, text=text, html=body)


def _claim(kind: str, sender: str, now: dt.datetime, limit: int) -> int:
    """Take up to `limit` deliverable rows of `kind` for `sender`; returns how many it took."""
    claimable = (
        EmailOutbox.select(EmailOutbox.id)
        .where(
            (EmailOutbox.kind == kind)
            & EmailOutbox.sent_at.is_null()
            & EmailOutbox.failed_at.is_null()
            & (EmailOutbox.attempts < MAX_ATTEMPTS)
            & (EmailOutbox.claimed_at.is_null() | (EmailOutbox.claimed_at < now - CLAIM_LEASE))
        )
        .order_by(EmailOutbox.id)
        .limit(limit)
    )
    if is_postgres():
        claimable = claimable.for_update(skip_locked=True)
    with database.atomic():
        return int(EmailOutbox.update(claimed_by=sender, claimed_at=now).where(EmailOutbox.id.in_(claimable)).execute())


def _claimed(sender: str) -> list[dict[str, Any]]:
    """This sender's claimed rows, with what rendering needs, in one query."""
    return dict_rows(
        EmailOutbox.select(
            EmailOutbox.id,
            EmailOutbox.attempts,
            User.email,
            FeedbackRequest.group.alias("group_id"),
            FeedbackGroup.name.alias("group_name"),
        )
        .join(User, on=(EmailOutbox.user == User.id))
        .switch(EmailOutbox)
        .join(FeedbackRequest, on=(EmailOutbox.request == FeedbackRequest.id))
        .join(FeedbackGroup, on=(FeedbackRequest.group == FeedbackGroup.id))
        .where(EmailOutbox.claimed_by == sender)
        .order_by(EmailOutbox.id)
    )


@dataclass
class Delivery:
    sent: int = 0
    retrying: int = 0
    refused: int = 0
    first_retry_error: str | None = None
    first_refusal: str | None = None


def _record(rows: list[dict[str, Any]], results: list[Exception | None], delivery: Delivery) -> None:
    """Settle each message of a batch: delivered, refused for good, or released for a later run."""
    now = utcnow()
    sent = [row["id"] for row, error in zip(rows, results, strict=True) if error is None]
    refused: list[tuple[int, str]] = []
    retry: list[tuple[int, str]] = []
    for row, error in zip(rows, results, strict=True):
        if error is None:
            continue
        text = str(error)[:1000]
        permanent = isinstance(error, MailError) and error.permanent
        (refused if permanent or row["attempts"] + 1 >= MAX_ATTEMPTS else retry).append((row["id"], text))
    settled = {
        EmailOutbox.claimed_by: None,
        EmailOutbox.claimed_at: None,
        EmailOutbox.attempts: EmailOutbox.attempts + 1,
    }
    with database.atomic():
        if sent:
            EmailOutbox.update({**settled, EmailOutbox.sent_at: now}).where(EmailOutbox.id.in_(sent)).execute()
        # Each failure keeps its own error text; failures are few.
        for row_id, text in refused:
            EmailOutbox.update({**settled, EmailOutbox.failed_at: now, EmailOutbox.last_error: text}).where(
                EmailOutbox.id == row_id
            ).execute()
        for row_id, text in retry:
            EmailOutbox.update({**settled, EmailOutbox.last_error: text}).where(EmailOutbox.id == row_id).execute()
    if refused:
        delivery.first_refusal = delivery.first_refusal or refused[0][1]
    if retry:
        delivery.first_retry_error = delivery.first_retry_error or retry[0][1]
    delivery.sent += len(sent)
    delivery.refused += len(refused)
    delivery.retrying += len(retry)


def deliver(kind: str, settings: Settings, mailer: Mailer | None = None) -> Delivery:
    """Claim and send the pending emails of `kind`, recording each message's outcome.

    Batches go out over SMTP_CONNECTIONS connections at once (an SMTP exchange is mostly waiting
    for the server); this thread renders them and records each batch's outcome as it returns, in
    order, so the database is only ever used from here."""
    mailer = mailer or Mailer(settings)
    sender = uuid.uuid4().hex
    delivery = Delivery()
    if not _claim(kind, sender, utcnow(), MAX_PER_RUN):
        return delivery
    in_flight: deque[tuple[list[dict[str, Any]], Future[list[Exception | None]]]] = deque()
    with ThreadPoolExecutor(max_workers=settings.smtp_connections, thread_name_prefix="smtp") as senders:
        for rows in batched(_claimed(sender), BATCH):
            batch = list(rows)
            in_flight.append((batch, senders.submit(mailer.send_many, [render(kind, row, settings) for row in batch])))
            if len(in_flight) > 2 * settings.smtp_connections:
                done, results = in_flight.popleft()
                _record(done, results.result(), delivery)
        while in_flight:
            done, results = in_flight.popleft()
            _record(done, results.result(), delivery)
    return delivery


def problems(delivery: Delivery, what: str) -> list[str]:
    """The run's notes about its emails (refusals are noted; only retries make a run partial)."""
    notes = []
    if delivery.retrying:
        notes.append(f"{delivery.retrying} {what}(s) not sent, will retry next run: {delivery.first_retry_error}")
    if delivery.refused:
        notes.append(f"{delivery.refused} {what}(s) refused for good: {delivery.first_refusal}")
    return notes
