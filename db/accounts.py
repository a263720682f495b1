"""Accounts: registration, sign-in checks, the current user, email and password changes, resets."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from peewee import JOIN, IntegrityError, fn

from db import rate_limits, visibility
from db.connection import database
from db.errors import Conflict, InvalidCredentials, InvalidToken, NotAuthenticated, ValidationFailed
from db.models import PasswordReset, RevokedToken, User, iso, utcnow
from db.passwords import DUMMY_HASH, hash_password, password_problem, verify_password
from db.sql import Statement

EMAIL_TAKEN = "An account with this email already exists."
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
SELECT u.id, u.email, u.rating, u.send_reminder_emails, u.is_admin, u.created_at, u.token_version,
    {visibility.owed_count("u.id")} AS owed, {visibility.unread_replies("u.id")} AS unread,
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
    row = USER_QUERY.first(user=user_id, jti="")
    if row is None:
        raise NotAuthenticated()
    return _user_from_row(row)


def current_user_payload(user_id: int, token_version: int, jti: str) -> dict[str, Any]:
    """`user_payload` for the holder of a token, checking the token in the same query (GET /me)."""
    row = USER_QUERY.first(user=user_id, jti=jti)
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
        "send_reminder_emails": bool(row["send_reminder_emails"]),
        "is_admin": bool(row["is_admin"]),
        "created_at": iso(row["created_at"]),
        "notifications": {"incomplete_responses": owed_count, "unread_replies": unread, "total": owed_count + unread},
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


def authenticate(email: str, password: str, failures_allowed: int) -> dict[str, Any]:
    """Check a sign-in; counts failures per account and refuses once they pass the limit."""
    key = f"login-failures:{email.strip().lower()}"
    rate_limits.refuse_if_exhausted(key, failures_allowed, ACCOUNT_FAILURE_WINDOW)
    user = _by_email(email).first()
    if not verify_password(user.password_hash if user else DUMMY_HASH, password) or user is None:
        rate_limits.hit(key, ACCOUNT_FAILURE_WINDOW)
        raise InvalidCredentials()
    return user_payload(user.id) | {"token_version": user.token_version}


def revoke_token(jti: str, expires_at: int) -> None:
    expiry = dt.datetime.fromtimestamp(expires_at, dt.UTC).replace(tzinfo=None)
    with database.atomic():
        RevokedToken.insert(jti=jti, expires_at=expiry).on_conflict_ignore().execute()
        RevokedToken.delete().where(RevokedToken.expires_at < utcnow()).execute()


def end_session(user_id: int, token_version: int, jti: str, expires_at: int) -> None:
    """Sign out: the token, if still honoured, is refused from now on."""
    load_current_user(user_id, token_version, jti)
    revoke_token(jti, expires_at)


def hand_over_session(user_id: int, token_version: int, jti: str, expires_at: int) -> dict[str, Any]:
    """Refresh: the old token is spent (a refresh hands the session over, it does not fork it)."""
    end_session(user_id, token_version, jti, expires_at)
    return user_payload(user_id)


def update_me(user: CurrentUser, changes: dict[str, Any]) -> dict[str, Any]:
    with database.atomic():
        if "email" in changes and changes["email"] is not None:
            taken = _by_email(changes["email"]).where(User.id != user.id).exists()
            if taken:
                raise Conflict("email_taken", EMAIL_TAKEN)
        values = {getattr(User, name): value for name, value in changes.items() if value is not None}
        if values:
            try:
                with database.atomic():
                    User.update(values).where(User.id == user.id).execute()
            except IntegrityError:
                raise Conflict("email_taken", EMAIL_TAKEN) from None
    return user_payload(user.id)


def change_password(user: CurrentUser, current_password: str, new_password: str) -> int:
    """Set a new password and end every other session; returns the new token version."""
    stored = User.get_by_id(user.id)
    if not verify_password(stored.password_hash, current_password):
        raise ValidationFailed({"current_password": "is not your current password"})
    problem = password_problem(new_password, stored.email)
    if problem:
        raise ValidationFailed({"new_password": problem})
    new_hash = hash_password(new_password)
    with database.atomic():
        User.update(password_hash=new_hash, token_version=User.token_version + 1).where(User.id == user.id).execute()
        return int(User.select(User.token_version).where(User.id == user.id).scalar())


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_password_reset(email: str, token: str, ttl_seconds: int) -> str | None:
    """Record a reset token for the account, if there is one; returns the address to mail it to."""
    user = _by_email(email).first()
    if user is None:
        return None
    with database.atomic():
        PasswordReset.create(
            token_hash=_token_hash(token), user=user.id, expires_at=utcnow() + dt.timedelta(seconds=ttl_seconds)
        )
    return str(user.email)


def confirm_password_reset(token: str, new_password: str) -> None:
    with database.atomic():
        reset = (
            PasswordReset.select(PasswordReset, User)
            .join(User, JOIN.INNER)
            .where(
                (PasswordReset.token_hash == _token_hash(token))
                & PasswordReset.used_at.is_null()
                & (PasswordReset.expires_at > utcnow())
            )
            .first()
        )
        if reset is None:
            raise InvalidToken()
        problem = password_problem(new_password, reset.user.email)
        if problem:
            raise ValidationFailed({"password": problem})
        claimed = (
            PasswordReset.update(used_at=utcnow())
            .where((PasswordReset.user == reset.user.id) & PasswordReset.used_at.is_null())
            .execute()
        )
        if not claimed:
            raise InvalidToken()
        User.update(password_hash=hash_password(new_password), token_version=User.token_version + 1).where(
            User.id == reset.user.id
        ).execute()
