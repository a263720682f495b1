"""clean_up: delete what has served its purpose, so no table grows without bound.

Crontab (03:00 UTC):  0 3 * * *  python -m jobs clean_up
Operator:             docker compose exec cron python -m jobs clean_up

- rate-limit counters whose window has passed;
- revoked tokens past their expiry (an expired token is refused anyway);
- password reset tokens a day after they expired or were used;
- outbox emails 30 days after they were delivered or given up;
- notifications 30 days after they were read, and any after 180 days.
One set-based DELETE per table, in one transaction.
"""

from __future__ import annotations

import datetime as dt

from db import notifications
from db.models import EmailOutbox, PasswordReset, RateLimitCounter, RevokedToken, utcnow
from jobs.runner import JobResult, job_main, job_transaction
from settings import Settings

JOB = "clean_up"
RESET_GRACE = dt.timedelta(days=1)
OUTBOX_KEPT = dt.timedelta(days=30)


def clean_up(settings: Settings, now: dt.datetime | None = None) -> JobResult:
    now = now or utcnow()
    with job_transaction(JOB):
        counts = {
            "rate_limit_counters": RateLimitCounter.delete()
            .where(RateLimitCounter.expires_at.is_null() | (RateLimitCounter.expires_at < now))
            .execute(),
            "revoked_tokens": RevokedToken.delete().where(RevokedToken.expires_at < now).execute(),
            "password_resets": PasswordReset.delete()
            .where((PasswordReset.expires_at < now - RESET_GRACE) | (PasswordReset.used_at < now - RESET_GRACE))
            .execute(),
            "emails": EmailOutbox.delete()
            .where((EmailOutbox.sent_at < now - OUTBOX_KEPT) | (EmailOutbox.failed_at < now - OUTBOX_KEPT))
            .execute(),
            "notifications": notifications.prune(now),
        }
    counts = {name: int(count) for name, count in counts.items()}
    return JobResult(f"{sum(counts.values())} row(s) deleted", counts)


def main(argv: list[str] | None = None) -> int:
    return job_main(JOB, __doc__ or JOB, argv, clean_up)
