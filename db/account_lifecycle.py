"""An account's life after sign-up: proving its email address, changing it, exporting everything
held about it, and deleting it.

- Registering sends a `verify` link. Until the address is proved the account works, but only
  verification and password-reset emails go to it (the grouped, reminder and last-call emails wait
  for a proved address: `VERIFIED` below is that rule).
- Changing the address needs the current password; the new one gets a `change` link and becomes the
  login only once proved; the old one is told.
- Links are single-use and expire after a day; a newer link of the same purpose spends the older.
  A change link works only while its address is still the pending one: setting the address back, a
  password change and a password reset drop the pending change and spend its links.
- Link emails (sign-up's aside) are capped per account, `LINK_MAILS_PER_HOUR`, so the account
  cannot be used to relay mail to arbitrary addresses.
- Deleting an account: every token stops working; email and password are erased (the row stays,
  so the anonymous feedback its owner wrote keeps its place, linked to nobody); the waiting request
  is withdrawn; feedback they still owed is dropped, and their tracks leave the review lists of
  those who had not reviewed them yet, so nobody waits on them. The address can register again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from peewee import IntegrityError, fn

from db import outbox, response_details, visibility
from db.accounts import CHANGE, EMAIL_TAKEN, VERIFY, CurrentUser, drop_pending_email, register
from db.bans import NOT_BANNED
from db.connection import database
from db.errors import Conflict, InvalidToken
from db.models import (
    EmailOutbox,
    EmailVerification,
    FeedbackRequest,
    FeedbackResponse,
    Notification,
    PasswordReset,
    Recommendation,
    Reply,
    Strike,
    User,
    iso,
    utcnow,
)
from db.payloads import GUIDED_COLUMNS
from db.rows import dict_rows
from db.sql import Statement
from db.withdrawal import leave_exchange

LINK_TTL = dt.timedelta(days=1)
LINK_MAILS_PER_HOUR = 3
# The rule for emails other than verification and reset: only to a proved address.
VERIFIED = User.email_verified_at.is_null(False) & User.deleted_at.is_null() & NOT_BANNED


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _taken(email: str, user_id: int) -> bool:
    return bool(User.select().where((fn.LOWER(User.email) == email.lower()) & (User.id != user_id)).exists())


def create_link(user_id: int, email: str, purpose: str, token: str) -> None:
    """Record a link for `email` and queue its email (inside the caller's transaction), spending older
    links of its purpose."""
    now = utcnow()
    EmailVerification.update(used_at=now).where(
        (EmailVerification.user == user_id)
        & (EmailVerification.purpose == purpose)
        & EmailVerification.used_at.is_null()
    ).execute()
    EmailVerification.create(
        token_hash=_hash(token), user=user_id, email=email, purpose=purpose, created_at=now, expires_at=now + LINK_TTL
    )
    outbox.queue_account_email(user_id, outbox.VERIFY_ADDRESS, email, token=token, change=purpose == CHANGE)


def register_with_link(email: str, password_hash: str, token: str) -> dict[str, Any]:
    """Sign-up: the account and its `verify` link, in one transaction."""
    with database.atomic():
        user = register(email, password_hash)
        create_link(user["id"], user["email"], VERIFY, token)
    return user


@dataclass(frozen=True)
class Pending:
    """What a fresh link would prove: `email` for `purpose`; None when the account has nothing to prove."""

    email: str
    purpose: str


def pending(user: CurrentUser) -> Pending | None:
    row = User.select(User.email, User.email_verified_at, User.pending_email).where(User.id == user.id).get()
    if row.pending_email:
        return Pending(str(row.pending_email), CHANGE)
    if row.email_verified_at is None:
        return Pending(str(row.email), VERIFY)
    return None


def resend_link(user: CurrentUser, token: str) -> Pending:
    """A new link for what the account still has to prove; Conflict when it has nothing."""
    with database.atomic():
        waiting = pending(user)
        if waiting is None:
            raise Conflict("nothing_to_verify", "Your email address is already confirmed.")
        create_link(user.id, waiting.email, waiting.purpose, token)
        return waiting


def start_email_change(user: CurrentUser, new_email: str, token: str) -> bool:
    """Record `new_email` as waiting for its link (the password was checked). False when it is the
    current address (any pending change is dropped, no link is made)."""
    with database.atomic():
        if _taken(new_email, user.id):
            raise Conflict("email_taken", EMAIL_TAKEN)
        current = User.select(User.email).where(User.id == user.id).scalar()
        if str(current).lower() == new_email.lower():
            drop_pending_email(user.id)
            return False
        User.update(pending_email=new_email).where(User.id == user.id).execute()
        create_link(user.id, new_email, CHANGE, token)
        return True


@dataclass(frozen=True)
class Proved:
    purpose: str
    email: str
    previous_email: str | None  # for a change: the address to tell


def confirm_link(token: str) -> Proved:
    """Spend a link and apply what it proves (the address verified, or the new address made the login)."""
    now = utcnow()
    with database.atomic():
        link = (
            EmailVerification.select()
            .where(
                (EmailVerification.token_hash == _hash(token))
                & EmailVerification.used_at.is_null()
                & (EmailVerification.expires_at > now)
            )
            .first()
        )
        if link is None:
            raise InvalidToken()
        spent = (
            EmailVerification.update(used_at=now)
            .where((EmailVerification.token_hash == link.token_hash) & EmailVerification.used_at.is_null())
            .execute()
        )
        if not spent:
            raise InvalidToken()
        user = User.get_by_id(link.user_id)
        if user.deleted_at is not None:
            raise InvalidToken()
        if link.purpose == VERIFY:
            if str(user.email).lower() != str(link.email).lower():
                raise InvalidToken()  # the address changed since this link was sent
            User.update(email_verified_at=now).where(User.id == user.id).execute()
            return Proved(VERIFY, str(link.email), None)
        if str(user.pending_email or "").lower() != str(link.email).lower():
            raise InvalidToken()  # the change was cancelled or replaced since this link was sent
        if _taken(str(link.email), user.id):
            raise Conflict("email_taken", EMAIL_TAKEN)
        try:
            with database.atomic():
                User.update(email=link.email, pending_email=None, email_verified_at=now).where(
                    User.id == user.id
                ).execute()
        except IntegrityError:
            raise Conflict("email_taken", EMAIL_TAKEN) from None
        outbox.queue_account_email(user.id, outbox.ADDRESS_CHANGED, str(user.email), new_address=str(link.email))
        return Proved(CHANGE, str(link.email), str(user.email))


# --- deletion -----------------------------------------------------------------------------------


def delete_account(user: CurrentUser) -> None:
    """Delete the account (see the module's docstring), in one transaction."""
    now = utcnow()
    with database.atomic():
        User.update(
            email=f"deleted-{user.id}@deleted.invalid",
            password_hash="!",  # matches no password
            pending_email=None,
            rating=None,
            send_reminder_emails=False,
            email_verified_at=None,
            deleted_at=now,
        ).where(User.id == user.id).execute()
        leave_exchange(user.id)
        for model in (Notification, Recommendation, Strike, PasswordReset, EmailVerification, EmailOutbox):
            model.delete().where(model.user == user.id).execute()


# --- export -------------------------------------------------------------------------------------


def _stamped(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: iso(value) if key.endswith("_at") else value for key, value in row.items()} for row in rows]


# Feedback on the caller's tracks as the group page shows it: only what they may read yet.
RECEIVED = Statement(f"""
SELECT fr.id, fr.request_id, fr.group_id, fr.feedback, fr.submitted_at, fr.allow_replies, fr.rating, fr.extra,
    fr.hidden_at, fr.strongest_moment, fr.biggest_problem, fr.next_step, fr.notes
FROM feedback_response fr JOIN feedback_request mine ON fr.request_id = mine.id
WHERE mine.user_id = :user AND {visibility.readable_by_owner("mine.user_id", "fr")}
ORDER BY fr.submitted_at, fr.id
""")


def _moderated(row: dict[str, Any], text: str, own: bool) -> dict[str, Any]:
    """A moderator's removal shows as on every page: the text goes (with the guided form's fields),
    except from its writer's own copy."""
    removed = row.pop("hidden_at") is not None
    if removed and not own:
        row[text] = ""
        row.update({name: None for name in GUIDED_COLUMNS if name in row})
    for flag in ("allow_replies", "extra"):
        if flag in row:
            row[flag] = bool(row[flag])  # SQLite's raw rows give 0/1
    return row | {"removed_by_moderator": removed}


def export(user: CurrentUser) -> dict[str, Any]:
    """Everything held about the caller, without anyone else's identity."""
    me = User.get_by_id(user.id)
    requests = dict_rows(
        FeedbackRequest.select(
            FeedbackRequest.id,
            FeedbackRequest.media_url,
            FeedbackRequest.media_type,
            FeedbackRequest.genre,
            FeedbackRequest.feedback_prompt,
            FeedbackRequest.email_when_grouped,
            FeedbackRequest.group.alias("group_id"),
            FeedbackRequest.created_at,
            FeedbackRequest.track_title,
        )
        .where(FeedbackRequest.user == user.id)
        .order_by(FeedbackRequest.id)
    )
    response_fields = (
        FeedbackResponse.id,
        FeedbackResponse.request.alias("request_id"),
        FeedbackResponse.group.alias("group_id"),
        FeedbackResponse.feedback,
        FeedbackResponse.submitted_at,
        FeedbackResponse.allow_replies,
        FeedbackResponse.rating,
        FeedbackResponse.extra,
        FeedbackResponse.hidden_at,
        *(getattr(FeedbackResponse, name) for name in GUIDED_COLUMNS),
    )
    written = [
        _moderated(row, "feedback", own=True)
        for row in dict_rows(
            FeedbackResponse.select(*response_fields)
            .where(FeedbackResponse.user == user.id)
            .order_by(FeedbackResponse.id)
        )
    ]
    received = [_moderated(row, "feedback", own=False) for row in RECEIVED.rows(user=user.id)]
    parts = response_details.read(response_details.EXPORT, user.id)
    for row in written + received:
        row["marks"], row["aspects"] = parts[row["id"]].marks, parts[row["id"]].aspects
    threads = [row["id"] for row in written] + [row["id"] for row in received if row["rating"] is not None]
    replies = []
    if threads:
        for row in dict_rows(
            Reply.select(
                Reply.id,
                Reply.response.alias("response_id"),
                Reply.author.alias("author_id"),
                Reply.text,
                Reply.created_at,
                Reply.read_at,
                Reply.hidden_at,
            )
            .where(Reply.response.in_(threads))
            .order_by(Reply.id)
        ):
            own = row.pop("author_id") == user.id
            replies.append(_moderated(row, "text", own=own) | {"author": "you" if own else "them"})
    return {
        "exported_at": iso(utcnow()),
        "user": {
            "id": me.id,
            "email": me.email,
            "pending_email": me.pending_email,
            "email_verified_at": iso(me.email_verified_at),
            "rating": me.rating,
            "send_reminder_emails": me.send_reminder_emails,
            "created_at": iso(me.created_at),
        },
        "requests": _stamped(requests),
        "feedback_written": _stamped(written),
        "feedback_received": _stamped(received),
        "replies": _stamped(replies),
        "strikes": _stamped(
            dict_rows(
                Strike.select(
                    Strike.group.alias("group_id"), Strike.kind, Strike.created_at, Strike.expires_at, Strike.cleared_at
                )
                .where(Strike.user == user.id)
                .order_by(Strike.id)
            )
        ),
        "notifications": _stamped(
            dict_rows(
                Notification.select(
                    Notification.id,
                    Notification.kind,
                    Notification.group_id,
                    Notification.request_id,
                    Notification.response_id,
                    Notification.count,
                    Notification.created_at,
                    Notification.read_at,
                )
                .where(Notification.user == user.id)
                .order_by(Notification.id)
            )
        ),
    }
