"""Bans: an admin takes an account out of the service, with a reason, and may restore it.

A banned account's tokens stop working at once and its open streams end; it cannot sign in (a
clear message says why); it leaves the exchange (db/withdrawal.py) and is never grouped or emailed.
Unbanning restores sign-in; what was withdrawn stays withdrawn.
"""

from __future__ import annotations

from typing import Any

from db import audit
from db.errors import Conflict, Forbidden, NotFound
from db.models import User, utcnow
from db.rows import locked
from db.withdrawal import leave_exchange

NOT_BANNED = User.banned_at.is_null()


def banned_message(reason: str | None) -> str:
    because = f" ({reason})" if reason else ""
    return f"This account is suspended{because}. If you think this is a mistake, write to the operators."


def refuse_if_banned(user_id: int) -> None:
    """Sign-in's check, made once the password proved right (so it tells nothing to a guesser)."""
    row = User.select(User.banned_at, User.ban_reason).where(User.id == user_id).first()
    if row is not None and row.banned_at is not None:
        raise Forbidden("account_banned", banned_message(row.ban_reason))


def _target(user_id: int) -> Any:
    user = locked(User.select().where((User.id == user_id) & User.deleted_at.is_null())).first()
    if user is None:
        raise NotFound()
    return user


def suspend(user_id: int, reason: str) -> Any:
    """Ban without an audit entry of its own (the caller records the action that led to it)."""
    user = _target(user_id)
    if user.is_admin:
        raise Conflict("cannot_ban_admin", "Admins cannot be banned; revoke the admin role first.")
    changed = (
        User.update(banned_at=utcnow(), ban_reason=reason)
        .where((User.id == user_id) & User.banned_at.is_null())
        .execute()
    )
    if not changed:
        raise Conflict("already_banned", "This account is already banned.")
    leave_exchange(user_id)
    return user


def ban(actor: audit.Actor, user_id: int, reason: str) -> None:
    """Inside the caller's transaction."""
    suspend(user_id, reason)
    audit.record(actor, "ban", "user", user_id, reason)


def unban(actor: audit.Actor, user_id: int, reason: str) -> None:
    _target(user_id)  # 404 for no such account
    changed = (
        User.update(banned_at=None, ban_reason=None)
        .where((User.id == user_id) & User.banned_at.is_null(False))
        .execute()
    )
    if not changed:
        raise Conflict("not_banned", "This account is not banned.")
    audit.record(actor, "unban", "user", user_id, reason)
