"""The admin role, granted and revoked by operators at the command line (`python -m db admin ...`);
each change is recorded in the audit log as the command line's doing."""

from __future__ import annotations

from peewee import fn

from db import audit
from db.connection import database
from db.models import User, iso


class NoSuchUser(Exception):
    pass


def _set_admin(email: str, value: bool) -> bool:
    """Returns whether anything changed."""
    with database.atomic():
        user = User.select().where((fn.LOWER(User.email) == email.strip().lower()) & User.deleted_at.is_null()).first()
        if user is None:
            raise NoSuchUser(email)
        if bool(user.is_admin) == value:
            return False
        User.update(is_admin=value).where(User.id == user.id).execute()
        audit.record(audit.OPERATOR, "grant_admin" if value else "revoke_admin", "user", user.id)
        return True


def grant(email: str) -> bool:
    return _set_admin(email, True)


def revoke(email: str) -> bool:
    return _set_admin(email, False)


def admins() -> list[str]:
    with database.connection_context():
        return [
            f"{user.id}\t{user.email}\t{iso(user.created_at)}"
            for user in User.select().where(User.is_admin).order_by(User.id)
        ]
