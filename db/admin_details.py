"""What an admin sees of one user or one group. Admins see identities here (the members see none)."""

from __future__ import annotations

from typing import Any

from db import effort
from db.admin_lists import GROUPS, USERS
from db.errors import NotFound
from db.models import iso, utcnow
from db.sql import Statement

_USER_FIGURES = Statement("""
SELECT
    (SELECT COUNT(*) FROM feedback_response w WHERE w.user_id = :user AND w.submitted_at IS NOT NULL) AS written,
    (SELECT COUNT(*) FROM feedback_response r JOIN feedback_request t ON t.id = r.request_id
        WHERE t.user_id = :user AND r.submitted_at IS NOT NULL) AS received,
    (SELECT AVG(w.rating * 1.0) FROM feedback_response w WHERE w.user_id = :user AND w.rating IS NOT NULL)
        AS mean_rating_received,
    (SELECT AVG(r.rating * 1.0) FROM feedback_response r JOIN feedback_request t ON t.id = r.request_id
        WHERE t.user_id = :user AND r.rating IS NOT NULL) AS mean_rating_given,
    (SELECT COUNT(*) FROM feedback_response o WHERE o.user_id = :user AND o.submitted_at IS NULL) AS owed,
    (SELECT COUNT(*) FROM feedback_refusal f WHERE f.user_id = :user AND f.reason = 'too_short') AS too_short,
    (SELECT COUNT(*) FROM feedback_refusal f WHERE f.user_id = :user AND f.reason = 'repeated') AS repeated
""")

_USER_REQUESTS = Statement("""
SELECT r.id, r.genre, r.media_url, r.track_title, r.created_at, r.group_id FROM feedback_request r
WHERE r.user_id = :user ORDER BY r.created_at DESC, r.id DESC LIMIT 50
""")

_USER_GROUPS = Statement("""
SELECT g.id, g.name, g.created_at, g.due_at, g.closed_at FROM feedback_group g
WHERE g.id IN (SELECT r.group_id FROM feedback_request r WHERE r.user_id = :user)
ORDER BY g.created_at DESC, g.id DESC LIMIT 50
""")

_REPORTS_AGAINST = Statement("""
SELECT rp.id, rp.reason, rp.state, rp.created_at FROM report rp WHERE rp.writer_id = :user
ORDER BY rp.created_at DESC, rp.id DESC LIMIT 50
""")


def _mean(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)


def user_detail(user_id: int) -> dict[str, Any]:
    user = USERS.one("u.id = :user", user=user_id, now=utcnow())
    if user is None:
        raise NotFound()
    figures = _USER_FIGURES.first(user=user_id)
    assert figures is not None
    return user | {
        "feedback_written": int(figures["written"]),
        "feedback_received": int(figures["received"]),
        "feedback_owed": int(figures["owed"]),
        # The effort gate's refusals of this reviewer's feedback (db/effort.py), by reason.
        "feedback_refusals": {reason: int(figures[reason]) for reason in effort.REASONS},
        "mean_rating_received": _mean(figures["mean_rating_received"]),
        "mean_rating_given": _mean(figures["mean_rating_given"]),
        "requests": [
            {
                "id": r["id"],
                "genre": r["genre"],
                "media_url": r["media_url"],
                "track_title": r["track_title"],
                "created_at": iso(r["created_at"]),
                "group_id": r["group_id"],
            }
            for r in _USER_REQUESTS.rows(user=user_id)
        ],
        "groups": [
            {
                "id": g["id"],
                "name": g["name"],
                "created_at": iso(g["created_at"]),
                "due_at": iso(g["due_at"]),
                "closed_at": iso(g["closed_at"]),
            }
            for g in _USER_GROUPS.rows(user=user_id)
        ],
        "reports": [
            {"id": r["id"], "reason": r["reason"], "state": r["state"], "created_at": iso(r["created_at"])}
            for r in _REPORTS_AGAINST.rows(user=user_id)
        ],
    }


_MEMBERS = Statement("""
SELECT r.id AS request_id, r.user_id, u.email, r.media_url, r.track_title, r.genre,
    (SELECT COUNT(*) FROM feedback_response o WHERE o.user_id = r.user_id AND o.group_id = r.group_id) AS to_write,
    (SELECT COUNT(*) FROM feedback_response o WHERE o.user_id = r.user_id AND o.group_id = r.group_id
        AND o.submitted_at IS NOT NULL) AS written,
    (SELECT COUNT(*) FROM feedback_response got WHERE got.request_id = r.id AND got.submitted_at IS NOT NULL)
        AS received
FROM feedback_request r JOIN "user" u ON u.id = r.user_id
WHERE r.group_id = :group ORDER BY r.id
""")

_OWED = Statement("""
SELECT fr.id, fr.user_id AS writer_id, req.user_id AS owner_id, fr.submitted_at, fr.rating, fr.hidden_at
FROM feedback_request req JOIN feedback_response fr ON fr.request_id = req.id
WHERE req.group_id = :group AND fr.group_id = :group AND NOT fr.extra ORDER BY fr.user_id, fr.id
""")


def group_detail(group_id: int) -> dict[str, Any]:
    """A group with its members and who owes what to whom (identities: admins only)."""
    group = GROUPS.one("g.id = :group", group=group_id)
    if group is None:
        raise NotFound()
    return group | {
        "members": [
            {
                "request_id": m["request_id"],
                "user": {"id": m["user_id"], "email": m["email"]},
                "media_url": m["media_url"],
                "track_title": m["track_title"],
                "genre": m["genre"],
                "feedback_to_write": int(m["to_write"]),
                "feedback_written": int(m["written"]),
                "feedback_received": int(m["received"]),
            }
            for m in _MEMBERS.rows(group=group_id)
        ],
        "responses": [
            {
                "id": o["id"],
                "writer_id": o["writer_id"],
                "owner_id": o["owner_id"],
                "submitted_at": iso(o["submitted_at"]),
                "rating": o["rating"],
                "hidden": o["hidden_at"] is not None,
            }
            for o in _OWED.rows(group=group_id)
        ],
    }
