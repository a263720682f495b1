"""enforce_deadlines: last calls before a group's deadline, and strikes after it.

Crontab (hourly, at :45):  45 * * * *  python -m jobs enforce_deadlines
Operator:                  docker compose exec cron python -m jobs enforce_deadlines

1. Each member who still owes feedback in a group due within 12 hours gets one `last_call`
   notification (and an email when they asked for email and reminders).
2. Each group past its deadline is closed: its members who owed feedback get a `no_show` or
   `partial` strike and a `strike` notification (rules: db/deadlines.py).
Both in one transaction; a group is closed once, a last call sent once. Emails follow the commit.
"""

from __future__ import annotations

import datetime as dt

from db import deadlines, notifications, outbox
from db.models import FeedbackRequest, utcnow
from jobs.runner import JobResult, job_main, job_transaction
from settings import Settings

JOB = "enforce_deadlines"


def enforce_deadlines(settings: Settings, now: dt.datetime | None = None) -> JobResult:
    now = now or utcnow()
    with job_transaction(JOB):
        due = deadlines.last_calls_due(now)
        last_calls = queued = 0
        for start in range(0, len(due), 2000):
            chunk = due[start : start + 2000]
            last_calls += deadlines.LAST_CALL_NOTIFICATIONS.run(ids=chunk, kind=notifications.LAST_CALL, now=now)
            queued += outbox.queue_reminder_emails(chunk, outbox.LAST_CALL, now)
            FeedbackRequest.update(last_call_sent_at=now).where(FeedbackRequest.id.in_(chunk)).execute()
        counts = {"last_calls": last_calls, "emails_queued": queued, **deadlines.close_due_groups(now)}
    delivery = outbox.deliver([outbox.LAST_CALL], settings)
    counts |= {"emails_sent": delivery.sent, "emails_failed": delivery.retrying, "emails_refused": delivery.refused}
    summary = (
        f"{last_calls} last call(s), {counts['groups_closed']} group(s) closed, "
        f"{counts[deadlines.NO_SHOW]} no-show and {counts[deadlines.PARTIAL]} partial strike(s)"
    )
    return JobResult(summary, counts, delivery.problems("last call"), "partial" if delivery.retrying else "ok")


def main(argv: list[str] | None = None) -> int:
    return job_main(JOB, __doc__ or JOB, argv, enforce_deadlines)
