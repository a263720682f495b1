"""Accounts: registration, sign-in checks, the current user, email and password changes, resets."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from peewee import JOIN, IntegrityError, fn

from db import bans, deadlines, notifications, outbox, rate_limits, visibility
from db.connection import database
from db.errors import Conflict, InvalidToken, NotAuthenticated
from db.models import EmailVerification, PasswordReset, RevokedToken, User, iso, utcnow
from db.passwords import dummy_hash
from db.sql import Statement

EMAIL_TAKEN = "An account with this email already exists."
# What an emailed link proves (db/account_lifecycle.py): the account's address, or a new one.
VERIFY, CHANGE = "verify", "change"
ACCOUNT_FAILURE_WINDOW = 15 * 60


@dataclass(frozen=True)
class CurrentUser:
    id: int
    email: str
    is_admin: bool
    token_version: int


def _by_email(email: str) -> Any:
    return User.select().where(fn.LOWER(User.email) == email.strip().lower())


USER_QUERY = Statement(f"""
SELECT u.id, u.email, u.rating, u.rating_percentile, u.send_reminder_emails, u.is_admin, u.created_at, u.token_version,
    u.email_verified_at, u.pending_email,
    {visibility.owed_count("u.id")} AS owed, {visibility.unread_replies("u.id")} AS unread,
    {notifications.unread_count("u.id")} AS inbox_unread, {deadlines.active_strikes_sql("u.id", ":now")} AS strikes,
    EXISTS (SELECT 1 FROM revoked_token rt WHERE rt.jti = :jti) AS revoked
FROM "user" u WHERE u.id = :user
""")

CURRENT_USER_QUERY = Statement("""
SELECT u.id, u.email, u.is_admin, u.token_version,
    EXISTS (SELECT 1 FROM revoked_token rt WHERE rt.jti = :jti) AS revoked
FROM "user" u WHERE u.id = :user
""")


def user_payload(user_id: int) -> dict[str, Any]:
    """The contract's `user`, notifications included, in one query."""
    row = USER_QUERY.first(user=user_id, jti="", now=utcnow())
    if row is None:
        raise NotAuthenticated()
    return _user_from_row(row)


def current_user_payload(user_id: int, token_version: int, jti: str) -> dict[str, Any]:
    """`user_payload` for the holder of a token, checking the token in the same query (GET /me)."""
    row = USER_QUERY.first(user=user_id, jti=jti, now=utcnow())
    if row is None or row["revoked"] or row["token_version"] != token_version:
        raise NotAuthenticated("token_revoked", "This session has ended; sign in again.")
    return _user_from_row(row)


def _user_from_row(row: dict[str, Any]) -> dict[str, Any]:
    unread = int(row["unread"])
    owed_count = int(row["owed"])
    return {
        "id": row["id"],
        "email": row["email"],
        "rating": None if row["rating"] is None else round(float(row["rating"]), 2),
        "rating_percentile": None if row["rating_percentile"] is None else round(float(row["rating_percentile"])),
        "send_reminder_emails": bool(row["send_reminder_emails"]),
        "is_admin": bool(row["is_admin"]),
        "created_at": iso(row["created_at"]),
        "email_verified": row["email_verified_at"] is not None,
        "pending_email": row["pending_email"],
        "notifications": {
            "incomplete_responses": owed_count,
            "unread_replies": unread,
            "total": owed_count + unread,
            "unread_notifications": int(row["inbox_unread"]),
        },
        # The strikes themselves are read only for the few who have any.
        "standing": deadlines.standing(row["id"], utcnow()) if row["strikes"] else deadlines.good_standing(),
    }


def load_current_user(user_id: int, token_version: int, jti: str) -> CurrentUser:
    """The user a token names, if the token is still honoured (not revoked, not superseded)."""
    row = CURRENT_USER_QUERY.first(user=user_id, jti=jti)
    if row is None or row["revoked"] or row["token_version"] != token_version:
        raise NotAuthenticated("token_revoked", "This session has ended; sign in again.")
    return CurrentUser(row["id"], row["email"], bool(row["is_admin"]), row["token_version"])


def register(email: str, password_hash: str) -> dict[str, Any]:
    with database.atomic():
        if _by_email(email).exists():
            raise Conflict("email_taken", EMAIL_TAKEN)
        try:
            with database.atomic():
                user = User.create(email=email, password_hash=password_hash)
        except IntegrityError:
            raise Conflict("email_taken", EMAIL_TAKEN) from None
    return user_payload(user.id)


@dataclass(frozen=True)
class SignInAttempt:
    """What checking a password needs, read before the (slow) check runs outside any transaction."""

    user_id: int | None
    password_hash: str
    failures_key: str


def begin_sign_in(email: str, failures_allowed: int, now: float) -> SignInAttempt:
    """Count the attempt against the account first (atomically), refusing it past the limit.

    The count is taken back by `finish_sign_in` when the password proves right, so only failures
    stay counted; simultaneous wrong guesses cannot all pass under the limit.
    """
    key = f"login-failures:{email.strip().lower()}"
    rate_limits.limit_attempt(key, failures_allowed, ACCOUNT_FAILURE_WINDOW, now)
    user = _by_email(email).first()
    if user is None:
        return SignInAttempt(None, dummy_hash(), key)
    return SignInAttempt(user.id, user.password_hash, key)


def finish_sign_in(attempt: SignInAttempt, now: float) -> dict[str, Any]:
    """The signed-in user's payload (with their token version), once the password was right."""
    assert attempt.user_id is not None
    rate_limits.forget_attempt(attempt.failures_key, ACCOUNT_FAILURE_WINDOW, now)
    bans.refuse_if_banned(attempt.user_id)
    version = User.select(User.token_version).where(User.id == attempt.user_id).scalar()
    return user_payload(attempt.user_id) | {"token_version": int(version)}


def revoke_token(jti: str, expires_at: int) -> None:
    """Refuse the token from now on; NotAuthenticated when it was already refused (spent)."""
    expiry = dt.datetime.fromtimestamp(expires_at, dt.UTC).replace(tzinfo=None)
    with database.atomic():
        inserted = RevokedToken.insert(jti=jti, expires_at=expiry).on_conflict_ignore().as_rowcount().execute()
    if not inserted:
        raise NotAuthenticated("token_revoked", "This session has ended; sign in again.")


def end_session(user_id: int, token_version: int, jti: str, expires_at: int) -> None:
    """Sign out: the token, if still honoured, is refused from now on."""
    load_current_user(user_id, token_version, jti)
    with database.atomic():
        revoke_token(jti, expires_at)
        notifications.announce_session_change(user_id)


def hand_over_session(user_id: int, token_version: int, jti: str, expires_at: int) -> dict[str, Any]:
    """Refresh: the old token is spent, once; a second refresh of it is refused, so a refresh
    hands the session over and never forks it."""
    end_session(user_id, token_version, jti, expires_at)
    return user_payload(user_id)


def update_me(user: CurrentUser, send_reminder_emails: bool | None) -> dict[str, Any]:
    """Settings that change at once (a new email address waits for its link: db/account_lifecycle.py)."""
    if send_reminder_emails is not None:
        with database.atomic():
            User.update(send_reminder_emails=send_reminder_emails).where(User.id == user.id).execute()
    return user_payload(user.id)


@dataclass(frozen=True)
class StoredPassword:
    password_hash: str
    email: str


def stored_password(user: CurrentUser) -> StoredPassword:
    row = User.select(User.password_hash, User.email).where(User.id == user.id).get()
    return StoredPassword(row.password_hash, row.email)


def set_password(user: CurrentUser, previous_hash: str, new_hash: str) -> int:
    """Replace the password checked as `previous_hash` and end every other session and every
    outstanding reset link; returns the new token version. Refused (token_revoked) when the
    password changed in between."""
    with database.atomic():
        changed = (
            User.update(password_hash=new_hash, token_version=User.token_version + 1)
            .where((User.id == user.id) & (User.password_hash == previous_hash))
            .execute()
        )
        if not changed:
            raise NotAuthenticated("token_revoked", "This session has ended; sign in again.")
        _spend_resets(user.id)
        drop_pending_email(user.id)
        notifications.announce_session_change(user.id)
        return int(User.select(User.token_version).where(User.id == user.id).scalar())


def _spend_resets(user_id: int) -> None:
    PasswordReset.update(used_at=utcnow()).where(
        (PasswordReset.user == user_id) & PasswordReset.used_at.is_null()
    ).execute()


def drop_pending_email(user_id: int) -> None:
    """Cancel a waiting address change: the pending address goes and every unused `change` link is
    spent (inside the caller's transaction). On a password change or reset too: whoever asked for
    the change with the old password loses it."""
    User.update(pending_email=None).where(User.id == user_id).execute()
    EmailVerification.update(used_at=utcnow()).where(
        (EmailVerification.user == user_id)
        & (EmailVerification.purpose == CHANGE)
        & EmailVerification.used_at.is_null()
    ).execute()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


RESETS_PER_ACCOUNT_HOUR = 3


def start_password_reset(email: str, token: str, ttl_seconds: int, now: float) -> None:
    """Record a reset token for the account and queue its email, if there is an account and it has had
    fewer than three links this hour (the caller never tells which)."""
    user = _by_email(email).first()
    if user is None:
        return
    if rate_limits.hit(f"reset-account:{user.id}", 3600, now) > RESETS_PER_ACCOUNT_HOUR:
        return
    with database.atomic():
        PasswordReset.create(
            token_hash=_token_hash(token), user=user.id, expires_at=utcnow() + dt.timedelta(seconds=ttl_seconds)
        )
        outbox.queue_account_email(user.id, outbox.RESET_PASSWORD, str(user.email), token=token)


def _live_reset(token: str) -> Any:
    return (
        PasswordReset.select(PasswordReset, User)
        .join(User, JOIN.INNER)
        .where(
            (PasswordReset.token_hash == _token_hash(token))
            & PasswordReset.used_at.is_null()
            & (PasswordReset.expires_at > utcnow())
        )
        .first()
    )


def reset_address(token: str) -> str:
    """The account email a live reset token belongs to (the password rules need it)."""
    reset = _live_reset(token)
    if reset is None:
        raise InvalidToken()
    return str(reset.user.email)


def confirm_password_reset(token: str, new_hash: str) -> None:
    """Spend the token (and every other of that account) and set the new password, in one transaction."""
    with database.atomic():
        reset = _live_reset(token)
        if reset is None:
            raise InvalidToken()
        claimed = (
            PasswordReset.update(used_at=utcnow())
            .where((PasswordReset.token_hash == reset.token_hash) & PasswordReset.used_at.is_null())
            .execute()
        )
        if not claimed:
            raise InvalidToken()
        _spend_resets(reset.user.id)
        drop_pending_email(reset.user.id)
        User.update(password_hash=new_hash, token_version=User.token_version + 1).where(
            User.id == reset.user.id
        ).execute()
        notifications.announce_session_change(reset.user.id)
