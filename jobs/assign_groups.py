"""assign_groups: place every unassigned request with a track into a group of about four.

Crontab (02:30 UTC):  30 2 * * *  python -m jobs assign_groups
Operator:             docker compose exec cron python -m jobs assign_groups

The plan is made in memory from one (locking) read (`db/group_planning.py`, pure and tested on
its own); writing it (`db/grouping.py`) takes O(rows / batch) statements: group ids allocated in
one statement, groups, request updates, responses and outbox rows inserted in batches, all in one
transaction. Emails go after commit.
"""

from __future__ import annotations

import time

from db import outbox
from db.grouping import group_unassigned
from db.models import utcnow
from jobs.runner import JobResult, job_main, job_transaction
from settings import Settings

JOB = "assign_groups"


def assign_groups(settings: Settings) -> JobResult:
    """The whole job: plan and write in one transaction, then send the "grouped" emails."""
    now = utcnow()
    started = time.perf_counter()
    with job_transaction(JOB):
        counts, problems = group_unassigned(now, settings.group_deadline_hours)
    committed = time.perf_counter()
    delivery = outbox.deliver([outbox.GROUPED], settings)
    counts |= {
        "emails_sent": delivery.sent,
        "emails_failed": delivery.retrying,
        "emails_refused": delivery.refused,
        "assign_ms": round((committed - started) * 1000),
        "email_ms": round((time.perf_counter() - committed) * 1000),
    }
    problems += delivery.problems("email")
    summary = f"{counts['assigned']} request(s) placed in {counts['groups']} group(s)"
    if delivery.sent or delivery.retrying:
        # The outbox also holds emails of earlier runs that could not be sent then.
        summary += f"; {delivery.sent} grouped email(s) sent, {delivery.retrying} to retry"
    return JobResult(summary, counts, problems, outcome="partial" if delivery.retrying else "ok")


def main(argv: list[str] | None = None) -> int:
    return job_main(JOB, __doc__ or JOB, argv, assign_groups)
