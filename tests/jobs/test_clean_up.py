"""The nightly clean-up deletes expired counters, tokens, reset links, old emails and old notifications,
and only those."""

from __future__ import annotations

import datetime as dt

from db.connection import database
from db.models import EmailOutbox, Notification, PasswordReset, RateLimitCounter, RevokedToken
from jobs.clean_up import clean_up
from jobs.runner import execute
from settings import Settings
from tests.builders import make_user

NOW = dt.datetime(2026, 12, 1, 3, 0)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def test_clean_up_deletes_what_expired_and_keeps_the_rest(db: str, settings: Settings) -> None:
    user = make_user()
    with database.connection_context(), database.atomic():
        RateLimitCounter.create(key="a", window=1, count=3, expires_at=NOW - HOUR)
        RateLimitCounter.create(key="b", window=2, count=1, expires_at=NOW + HOUR)
        RevokedToken.create(jti="old", expires_at=NOW - HOUR)
        RevokedToken.create(jti="live", expires_at=NOW + HOUR)
        PasswordReset.create(token_hash="expired", user=user, expires_at=NOW - 2 * DAY)
        PasswordReset.create(token_hash="used", user=user, expires_at=NOW + HOUR, used_at=NOW - 2 * DAY)
        PasswordReset.create(token_hash="fresh", user=user, expires_at=NOW + HOUR)
        EmailOutbox.create(user=user, kind="grouped", created_at=NOW - 40 * DAY, sent_at=NOW - 31 * DAY)
        EmailOutbox.create(user=user, kind="grouped", created_at=NOW - 40 * DAY, failed_at=NOW - 31 * DAY)
        EmailOutbox.create(user=user, kind="grouped", created_at=NOW - DAY, sent_at=NOW - DAY)
        EmailOutbox.create(user=user, kind="grouped", created_at=NOW - 40 * DAY)  # still to send
        Notification.create(user=user, kind="grouped", created_at=NOW - 40 * DAY, read_at=NOW - 31 * DAY)
        Notification.create(user=user, kind="reply", created_at=NOW - 181 * DAY)  # unread, but too old
        Notification.create(user=user, kind="reply", created_at=NOW - 40 * DAY, read_at=NOW - 29 * DAY)
        Notification.create(user=user, kind="reminder", created_at=NOW - 170 * DAY)  # unread
    status, result = execute("clean_up", lambda: clean_up(settings, NOW))
    assert status == 0
    assert result.counts == {
        "rate_limit_counters": 1,
        "revoked_tokens": 1,
        "password_resets": 2,
        "emails": 2,
        "notifications": 2,
    }
    with database.connection_context():
        assert [row.key for row in RateLimitCounter.select()] == ["b"]
        assert [row.jti for row in RevokedToken.select()] == ["live"]
        assert [row.token_hash for row in PasswordReset.select()] == ["fresh"]
        assert EmailOutbox.select().count() == 2
        assert sorted(row.kind for row in Notification.select()) == ["reminder", "reply"]
