"""send_group_reminders: one reminder per grouped request whose owner still owes feedback.

Crontab (02:15 UTC):  15 2 * * *  python -m jobs send_group_reminders
Operator:             docker compose exec cron python -m jobs send_group_reminders

A request qualifies when its group is over 20 hours old, its owner still owes feedback there, and
it was never reminded. Every such owner gets a `reminder` notification; an email too when they
want reminders and asked for email. Marking, notifying and queueing happen in one transaction (so
never twice); sending follows the commit and retries on the next run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from peewee import SQL

from db import notifications, outbox, visibility
from db.models import FeedbackGroup, FeedbackRequest, utcnow
from jobs.runner import JobResult, job_main, job_transaction
from settings import Settings

JOB = "send_group_reminders"
GROUP_AGE = dt.timedelta(hours=20)


def _due(now: dt.datetime) -> Any:
    req = FeedbackRequest.alias("req")
    owes = SQL(visibility.owes_in_group("req.user_id", "req.group_id"))
    return (
        req.select(req.id)
        .join(FeedbackGroup, on=(req.group == FeedbackGroup.id))
        .where((FeedbackGroup.created_at < now - GROUP_AGE) & req.reminder_sent_at.is_null() & owes)
    )


REMINDER_NOTIFICATIONS = notifications.NotifyFrom(
    "SELECT user_id, :kind, group_id, id, NULL, NULL, :now, NULL FROM feedback_request WHERE id IN ({ids})"
)


def send_group_reminders(settings: Settings, now: dt.datetime | None = None) -> JobResult:
    now = now or utcnow()
    with job_transaction(JOB):
        due_ids = [row.id for row in _due(now)]
        queued = notified = 0
        for start in range(0, len(due_ids), 2000):
            chunk = due_ids[start : start + 2000]
            notified += REMINDER_NOTIFICATIONS.run(ids=chunk, kind=notifications.REMINDER, now=now)
            queued += outbox.queue_reminder_emails(chunk, outbox.REMINDER, now)
            FeedbackRequest.update(reminder_sent_at=now).where(FeedbackRequest.id.in_(chunk)).execute()
    delivery = outbox.deliver([outbox.REMINDER], settings)
    counts = {
        "queued": queued,
        "notified": notified,
        "emails_sent": delivery.sent,
        "emails_failed": delivery.retrying,
        "emails_refused": delivery.refused,
    }
    outcome = "partial" if delivery.retrying else "ok"
    summary = f"{queued} reminder(s) queued, {delivery.sent} sent"
    return JobResult(summary, counts, delivery.problems("reminder"), outcome)


def main(argv: list[str] | None = None) -> int:
    return job_main(JOB, __doc__ or JOB, argv, send_group_reminders)
