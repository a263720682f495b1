"""Emails the jobs send: "you've been grouped" and reminders, rendered and delivered from the outbox.

Rows enter `email_outbox` in the same transaction as the change they announce; delivery happens
after commit, so a failing SMTP server never undoes that change. Unsent rows are retried on the
next run.
"""

from __future__ import annotations

import html
from typing import Any

from application import Settings
from db.bulk import batched
from db.connection import database
from db.models import EmailOutbox, FeedbackGroup, FeedbackRequest, User, utcnow
from db.rows import dict_rows
from mail import Mailer, Message

GROUPED = "grouped"
REMINDER = "reminder"
MAX_ATTEMPTS = 10
BATCH = 1000
MAX_PER_RUN = 200_000


def render(kind: str, row: dict[str, Any], settings: Settings) -> Message:
    link = f"{settings.web_url}/groups/{row['group_id']}"
    name = row["group_name"]
    if kind == GROUPED:
        subject = "You've been grouped! Time to give feedback"
        lead = f"Your request is now in {name}. Listen to the other members' tracks and write your feedback"
    else:
        subject = "Reminder: your group is waiting for your feedback"
        lead = f"The other members of {name} are waiting for your feedback. Write it"
    text = f"{lead}; you will see the feedback on your own track once you have written yours.\n\n{link}\n"
    body = (
        f"<p>{html.escape(lead)}; you will see the feedback on your own track once you have written yours.</p>"
        f'<p><a href="{html.escape(link)}">Open {html.escape(name)}</a></p>'
    )
    return Message(to=row["email"], subject=subject, text=text, html=body)


def _pending(kind: str) -> list[dict[str, Any]]:
    """Every pending email of `kind` (capped per run), with what rendering needs, in one query."""
    return dict_rows(
        EmailOutbox.select(
            EmailOutbox.id,
            User.email,
            FeedbackRequest.group.alias("group_id"),
            FeedbackGroup.name.alias("group_name"),
        )
        .join(User, on=(EmailOutbox.user == User.id))
        .switch(EmailOutbox)
        .join(FeedbackRequest, on=(EmailOutbox.request == FeedbackRequest.id))
        .join(FeedbackGroup, on=(FeedbackRequest.group == FeedbackGroup.id))
        .where((EmailOutbox.kind == kind) & EmailOutbox.sent_at.is_null() & (EmailOutbox.attempts < MAX_ATTEMPTS))
        .order_by(EmailOutbox.id)
        .limit(MAX_PER_RUN)
    )


def deliver(kind: str, settings: Settings, mailer: Mailer | None = None) -> tuple[int, int, str | None]:
    """Send pending emails of `kind`; returns (sent, failed, first error)."""
    mailer = mailer or Mailer(settings)
    sent = failed = 0
    first_error: str | None = None
    for rows in batched(_pending(kind), BATCH):
        results = mailer.send_many([render(kind, row, settings) for row in rows])
        ok = [row["id"] for row, error in zip(rows, results, strict=True) if error is None]
        bad = [(row["id"], error) for row, error in zip(rows, results, strict=True) if error is not None]
        with database.atomic():
            if ok:
                sent_now = {EmailOutbox.sent_at: utcnow(), EmailOutbox.attempts: EmailOutbox.attempts + 1}
                EmailOutbox.update(sent_now).where(EmailOutbox.id.in_(ok)).execute()
            if bad:
                message = str(bad[0][1])[:1000]
                first_error = first_error or message
                failed_now = {EmailOutbox.attempts: EmailOutbox.attempts + 1, EmailOutbox.last_error: message}
                EmailOutbox.update(failed_now).where(EmailOutbox.id.in_([row_id for row_id, _ in bad])).execute()
        sent += len(ok)
        failed += len(bad)
    return sent, failed, first_error
