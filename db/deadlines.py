"""Group deadlines and strikes: the rules in one place.

- A group's feedback is due `GROUP_DEADLINE_HOURS` after it forms (`due_at`). Twelve hours before,
  each member who still owes gets one last call.
- At the deadline, a member who submitted none of what they owed there gets a `no_show` strike for
  that group, one who submitted some but not all a `partial` one. A strike is active for 30 days,
  or until cleared: writing everything one owes in a later group before its deadline clears the
  oldest active strike.
- At the deadline, each track that got fewer reviews than its group promised, whose owner wrote
  their share, enters the needs-feedback pool for 14 days (db/recommendations.py).
- With two active strikes a user may not submit a request with a track (trackless ones, to give
  feedback and clear a strike, stay open), and the grouping job groups struck members together.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from db import notifications, visibility
from db.connection import database, is_postgres
from db.errors import Conflict
from db.models import iso
from db.sql import Statement

STRIKE_DAYS = 30
POOL_DAYS = dt.timedelta(days=14)
LAST_CALL_BEFORE = dt.timedelta(hours=12)
STRIKES_BLOCKING = 2
NO_SHOW, PARTIAL = "no_show", "partial"
HOW_TO_CLEAR = (
    "A strike ends 30 days after it was given, or sooner: write all the feedback you owe in a later group "
    "before its deadline (a request without a track is enough) and your oldest strike is cleared."
)


def due_at(formed_at: dt.datetime, deadline_hours: int) -> dt.datetime:
    return formed_at + dt.timedelta(hours=deadline_hours)


# --- standing --------------------------------------------------------------------------------


def _active(strike: str, now: str) -> str:
    """SQL: the strike (an alias of strike) is active at `now` (a column or parameter)."""
    return f"{strike}.cleared_at IS NULL AND {strike}.expires_at > {now}"


def active_strikes_sql(user: str, now: str) -> str:
    """SQL: how many active strikes `user` has at `now` (columns or parameters)."""
    return f"(SELECT COUNT(*) FROM strike active WHERE active.user_id = {user} AND {_active('active', now)})"


_ACTIVE = Statement(f"""
SELECT s.group_id, s.kind, s.created_at, s.expires_at FROM strike s
WHERE s.user_id = :user AND {_active("s", ":now")}
ORDER BY s.expires_at, s.id
""")
_STRUCK_USERS = Statement(f"SELECT DISTINCT s.user_id FROM strike s WHERE {_active('s', ':now')}")


def struck_users(now: dt.datetime) -> set[int]:
    """Everyone with an active strike (the grouping job groups them together)."""
    return {row["user_id"] for row in _STRUCK_USERS.rows(now=now)}


def good_standing() -> dict[str, Any]:
    return {"strikes": [], "may_submit_tracks": True, "how_to_clear": HOW_TO_CLEAR}


def standing(user_id: int, now: dt.datetime) -> dict[str, Any]:
    strikes = _ACTIVE.rows(user=user_id, now=now)
    return {
        "strikes": [
            {
                "group_id": row["group_id"],
                "kind": row["kind"],
                "given_at": iso(row["created_at"]),
                "expires_at": iso(row["expires_at"]),
            }
            for row in strikes
        ],
        "may_submit_tracks": len(strikes) < STRIKES_BLOCKING,
        "how_to_clear": HOW_TO_CLEAR,
    }


def check_may_submit_track(user_id: int, now: dt.datetime) -> None:
    """Conflict (409 too_many_strikes) with the date it lifts, for a user with two active strikes."""
    strikes = _ACTIVE.rows(user=user_id, now=now)
    if len(strikes) >= STRIKES_BLOCKING:
        lifts = iso(strikes[len(strikes) - STRIKES_BLOCKING]["expires_at"])
        raise Conflict(
            "too_many_strikes",
            f"You have {len(strikes)} active strikes, so you cannot submit a track until {lifts} (UTC). You can "
            "still give feedback with a request without a track; writing all of it on time clears a strike.",
        )


_CLEAR_OLDEST = Statement(f"""
UPDATE strike SET cleared_at = :now, cleared_by_group_id = :group
WHERE id = (SELECT s.id FROM strike s WHERE s.user_id = :user AND s.group_id <> :group AND {_active("s", ":now")}
            ORDER BY s.created_at, s.id LIMIT 1)
""")
_ON_TIME = Statement(
    "SELECT g.due_at FROM feedback_group g WHERE g.id = :group AND (g.due_at IS NULL OR g.due_at > :now)"
)


def clear_on_completion(user_id: int, group_id: int, now: dt.datetime) -> bool:
    """The writer owes nothing more in `group_id`: on time, that clears their oldest active strike."""
    if _ON_TIME.first(group=group_id, now=now) is None:
        return False
    return clear_oldest(user_id, group_id, now)


def clear_oldest(user_id: int, group_id: int, now: dt.datetime) -> bool:
    """Clear the user's oldest active strike (not one from `group_id`, the group their work was in)."""
    return _CLEAR_OLDEST.execute(user=user_id, group=group_id, now=now) > 0


# --- the deadline job's work -----------------------------------------------------------------

_LAST_CALLS = Statement(f"""
SELECT r.id FROM feedback_request r JOIN feedback_group g ON r.group_id = g.id
WHERE g.closed_at IS NULL AND g.due_at > :now AND g.due_at <= :soon AND r.last_call_sent_at IS NULL
    AND {visibility.owes_in_group("r.user_id", "r.group_id")}
""")
LAST_CALL_NOTIFICATIONS = notifications.NotifyFrom(
    "SELECT user_id, :kind, group_id, id, NULL, NULL, :now, NULL FROM feedback_request WHERE id IN ({ids})"
)


def last_calls_due(now: dt.datetime) -> list[int]:
    """Requests whose owner still owes in a group due within 12 hours and has had no last call."""
    return [row["id"] for row in _LAST_CALLS.rows(now=now, soon=now + LAST_CALL_BEFORE)]


_DUE_GROUPS = "SELECT g.id FROM feedback_group g WHERE g.closed_at IS NULL AND g.due_at <= :now ORDER BY g.id"
STRIKE_NOTIFICATIONS = notifications.NotifyFrom(
    "SELECT user_id, :kind, group_id, NULL, NULL, NULL, :now, NULL FROM strike WHERE id IN ({ids})"
)


def close_due_groups(now: dt.datetime) -> dict[str, int]:
    """Record the strikes of every group past its deadline, notify the struck, put each track that got
    fewer reviews than promised (whose owner wrote their share) in the needs-feedback pool, and close
    the groups (inside the caller's transaction; each group is dealt with once)."""
    due = Statement(_DUE_GROUPS + (" FOR UPDATE OF g SKIP LOCKED" if is_postgres() else ""))
    group_ids = [row["id"] for row in due.rows(now=now)]
    counts = {"groups_closed": len(group_ids), NO_SHOW: 0, PARTIAL: 0, "pool_entered": 0}
    for start in range(0, len(group_ids), 2000):
        chunk = ", ".join(str(int(i)) for i in group_ids[start : start + 2000])
        cursor = database.execute_sql(
            f"""INSERT INTO strike (user_id, group_id, kind, created_at, expires_at)
            SELECT owed.user_id, r.group_id,
                CASE WHEN COUNT(owed.submitted_at) = 0 THEN '{NO_SHOW}' ELSE '{PARTIAL}' END, {database.param},
                {database.param}
            FROM feedback_request r JOIN feedback_response owed ON owed.request_id = r.id AND owed.group_id = r.group_id
            WHERE r.group_id IN ({chunk})
            GROUP BY owed.user_id, r.group_id HAVING COUNT(owed.submitted_at) < COUNT(*)
            ON CONFLICT (user_id, group_id) DO NOTHING
            RETURNING id, kind""",
            (now, now + dt.timedelta(days=STRIKE_DAYS)),
        )
        struck = cursor.fetchall()
        for _, kind in struck:
            counts[kind] += 1
        STRIKE_NOTIFICATIONS.run(ids=[row[0] for row in struck], kind=notifications.STRIKE, now=now)
        counts["pool_entered"] += database.execute_sql(
            f"""INSERT INTO needs_feedback (request_id, owner_id, group_id, genre, missing, entered_at, expires_at)
            SELECT r.id, r.user_id, r.group_id, r.genre, COUNT(*) - COUNT(fr.submitted_at), {database.param},
                {database.param}
            FROM feedback_request r JOIN feedback_response fr ON fr.request_id = r.id AND NOT fr.extra
            WHERE r.group_id IN ({chunk}) AND r.media_url IS NOT NULL
                AND {visibility.unlocked("r.user_id", "r.group_id")}
            GROUP BY r.id, r.user_id, r.group_id, r.genre HAVING COUNT(fr.submitted_at) < COUNT(*)
            ON CONFLICT (request_id) DO NOTHING""",
            (now, now + POOL_DAYS),
        ).rowcount
        database.execute_sql(f"UPDATE feedback_group SET closed_at = {database.param} WHERE id IN ({chunk})", (now,))
    return counts
