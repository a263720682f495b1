"""send_emails: send every email waiting in the outbox (the safety net behind the web processes'
senders and the jobs' own sending: an email queued while every sender was down, or due again after
a failure).

Crontab (every 5 minutes):  */5 * * * *  python -m jobs send_emails
Operator:                   docker compose exec cron python -m jobs send_emails

It takes no job lock: the outbox's claims make each email go once however many senders run
(db/outbox.py), two cron containers' runs included.
"""

from __future__ import annotations

import sys

from db import outbox
from jobs.runner import JobResult, job_main
from settings import Settings

JOB = "send_emails"


def send_emails(settings: Settings) -> JobResult:
    delivery = outbox.deliver(outbox.ALL_KINDS, settings)
    counts = {"sent": delivery.sent, "retrying": delivery.retrying, "refused": delivery.refused}
    summary = f"sent {delivery.sent} email(s)"
    return JobResult(summary, counts, delivery.problems("email"), "partial" if delivery.retrying else "ok")


def main(argv: list[str] | None = None) -> int:
    return job_main(JOB, __doc__ or "", argv, send_emails)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
