"""The audit log: who did what, on what, why and when, for every admin action.

Append-only: entries are only ever inserted (the database refuses updates and deletes), in the
transaction of the action they record, so an action and its entry commit or roll back together.
Entries hold ids, never email addresses (an address must not outlive its deleted account in a
table nothing may change): the pages show each id's current address by a join.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from db.models import AuditLog, iso, utcnow

COMMAND_LINE = "command line"


ADMIN = "admin"


@dataclass(frozen=True)
class Actor:
    """Who acts: an admin (`id`), or an operator at the command line (`id` None)."""

    id: int | None

    @property
    def name(self) -> str:
        return ADMIN if self.id is not None else COMMAND_LINE


OPERATOR = Actor(None)


def record(actor: Actor, action: str, target_type: str, target_id: int | None, reason: str = "", **detail: Any) -> None:
    AuditLog.create(
        actor_id=actor.id,
        actor=actor.name,
        action=action,
        target_type=target_type,
        target_id=target_id,
        reason=reason,
        detail=json.dumps(detail, sort_keys=True, default=str),
        created_at=utcnow(),
    )


def entry_payload(row: dict[str, Any]) -> dict[str, Any]:
    """An entry from a row that joins the current addresses (`actor_email`, `target_email`: null
    for the command line, a deleted account or a target that is no user)."""
    return {
        "id": row["id"],
        "actor_id": row["actor_id"],
        "actor": row["actor_email"] or (COMMAND_LINE if row["actor_id"] is None else "deleted account"),
        "target_email": row["target_email"],
        "action": row["action"],
        "target_type": row["target_type"],
        "target_id": row["target_id"],
        "reason": row["reason"],
        "detail": json.loads(row["detail"] or "{}"),
        "created_at": iso(row["created_at"]),
    }
