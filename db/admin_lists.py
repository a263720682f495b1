"""What admins list: users, requests, groups, job runs, reports and the audit log (db/listings.py)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from db import audit, deadlines
from db.listings import Listing, like_pattern
from db.models import iso
from db.reports import report_payload


def _user(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "email": row["email"],
        "rating": None if row["rating"] is None else round(float(row["rating"]), 2),
        "is_admin": bool(row["is_admin"]),
        "created_at": iso(row["created_at"]),
        "email_verified": row["email_verified_at"] is not None,
        "banned": row["banned_at"] is not None,
        "banned_at": iso(row["banned_at"]),
        "ban_reason": row["ban_reason"],
        "deleted": row["deleted_at"] is not None,
        "active_strikes": int(row["strikes"]),
        "reports_against": int(row["reports_against"]),
    }


STRIKES = deadlines.active_strikes_sql("u.id", ":now")
USERS = Listing(
    source='FROM "user" u',
    columns=f"""u.id, u.email, u.rating, u.is_admin, u.created_at, u.email_verified_at, u.banned_at, u.ban_reason,
    u.deleted_at, {STRIKES} AS strikes, (SELECT COUNT(*) FROM report rp WHERE rp.writer_id = u.id) AS reports_against""",
    filters={
        "q": "LOWER(u.email) LIKE :q ESCAPE '\\'",
        "rating_min": "u.rating >= :rating_min",
        "rating_max": "u.rating <= :rating_max",
        "admin": {True: "u.is_admin", False: "NOT u.is_admin"},
        "banned": {True: "u.banned_at IS NOT NULL", False: "u.banned_at IS NULL"},
        "joined_from": "u.created_at >= :joined_from",
        "joined_before": "u.created_at < :joined_before",
        "min_strikes": f"{STRIKES} >= :min_strikes",
    },
    prepare={"q": like_pattern},
    sorts={"created_at": "u.created_at", "email": "LOWER(u.email)", "rating": "u.rating", "strikes": STRIKES},
    tiebreak="u.id",
    shape=_user,
)


def _request(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "user": {"id": row["user_id"], "email": row["email"]},
        "genre": row["genre"],
        "media_url": row["media_url"],
        "media_type": row["media_type"],
        "track_title": row["track_title"],
        "created_at": iso(row["created_at"]),
        "state": "waiting" if row["group_id"] is None else "grouped",
        "group_id": row["group_id"],
    }


REQUESTS = Listing(
    source='FROM feedback_request r JOIN "user" u ON u.id = r.user_id',
    columns="r.id, r.user_id, u.email, r.genre, r.media_url, r.media_type, r.track_title, r.created_at, r.group_id",
    filters={
        "state": {"waiting": "r.group_id IS NULL", "grouped": "r.group_id IS NOT NULL"},
        "genre": "r.genre = :genre",
        "tracked": {True: "r.media_url IS NOT NULL", False: "r.media_url IS NULL"},
        "user_id": "r.user_id = :user_id",
        "created_from": "r.created_at >= :created_from",
        "created_before": "r.created_at < :created_before",
    },
    sorts={"created_at": "r.created_at", "genre": "r.genre"},
    tiebreak="r.id",
    shape=_request,
)


def _group(row: dict[str, Any]) -> dict[str, Any]:
    owed, written = int(row["owed_total"]), int(row["written"])
    return {
        "id": row["id"],
        "name": row["name"],
        "genres": [g for g in str(row["genres"]).split(",") if g],
        "created_at": iso(row["created_at"]),
        "due_at": iso(row["due_at"]),
        "closed_at": iso(row["closed_at"]),
        "state": "open" if row["closed_at"] is None else "closed",
        "size": int(row["size"]),
        "feedback_owed": owed,
        "feedback_written": written,
    }


GROUP_SIZE = "(SELECT COUNT(*) FROM feedback_request m WHERE m.group_id = g.id)"
GROUPS = Listing(
    source="FROM feedback_group g",
    columns=f"""g.id, g.name, g.genres, g.created_at, g.due_at, g.closed_at, {GROUP_SIZE} AS size,
    (SELECT COUNT(*) FROM feedback_response o WHERE o.group_id = g.id AND NOT o.extra) AS owed_total,
    (SELECT COUNT(*) FROM feedback_response w WHERE w.group_id = g.id AND NOT w.extra AND w.submitted_at IS NOT NULL)
        AS written""",
    filters={
        "state": {"open": "g.closed_at IS NULL", "closed": "g.closed_at IS NOT NULL"},
        "genre": "(',' || g.genres || ',') LIKE :genre",
        "created_from": "g.created_at >= :created_from",
        "created_before": "g.created_at < :created_before",
    },
    prepare={"genre": lambda genre: f"%,{genre},%"},
    sorts={"created_at": "g.created_at", "due_at": "g.due_at", "size": GROUP_SIZE},
    tiebreak="g.id",
    shape=_group,
)


def _seconds(started: Any, finished: Any) -> float | None:
    if finished is None:
        return None

    def parsed(value: Any) -> datetime:
        return value if isinstance(value, datetime) else datetime.fromisoformat(value)

    return round((parsed(finished) - parsed(started)).total_seconds(), 3)


def _job_run(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "job": row["job"],
        "started_at": iso(row["started_at"]),
        "finished_at": iso(row["finished_at"]),
        "duration_seconds": _seconds(row["started_at"], row["finished_at"]),
        "outcome": row["outcome"],
        "counts": json.loads(row["counts"] or "{}"),
        "error": row["error"],
    }


JOB_RUNS = Listing(
    source="FROM job_run j",
    columns="j.id, j.job, j.started_at, j.finished_at, j.outcome, j.counts, j.error",
    filters={
        "job": "j.job = :job",
        "outcome": "j.outcome = :outcome",
        "started_from": "j.started_at >= :started_from",
        "started_before": "j.started_at < :started_before",
    },
    sorts={"started_at": "j.started_at"},
    tiebreak="j.id",
    shape=_job_run,
)


def _report(row: dict[str, Any]) -> dict[str, Any]:
    return report_payload(row) | {"excerpt": row["excerpt"] or ""}


REPORTS = Listing(
    source="""FROM report rp
JOIN "user" reporter ON reporter.id = rp.reporter_id
JOIN "user" writer ON writer.id = rp.writer_id
LEFT JOIN reply rep ON rep.id = rp.reply_id
LEFT JOIN feedback_response fr ON fr.id = rp.response_id""",
    columns="""rp.id, rp.reporter_id, rp.response_id, rp.reply_id, rp.writer_id, rp.reason, rp.text, rp.state,
    rp.created_at, rp.resolved_at, reporter.email AS reporter_email, writer.email AS writer_email,
    SUBSTR(COALESCE(rep.text, fr.feedback), 1, 200) AS excerpt""",
    filters={
        "state": "rp.state = :state",
        "reason": "rp.reason = :reason",
        "writer_id": "rp.writer_id = :writer_id",
    },
    sorts={"created_at": "rp.created_at"},
    tiebreak="rp.id",
    shape=_report,
)

AUDIT_LOG = Listing(
    source="""FROM audit_log a
    LEFT JOIN "user" actor ON actor.id = a.actor_id AND actor.deleted_at IS NULL
    LEFT JOIN "user" target ON a.target_type = 'user' AND target.id = a.target_id AND target.deleted_at IS NULL""",
    columns="""a.id, a.actor_id, actor.email AS actor_email, a.action, a.target_type, a.target_id,
    target.email AS target_email, a.reason, a.detail, a.created_at""",
    filters={
        "action": "a.action = :action",
        "actor_id": "a.actor_id = :actor_id",
        "target_type": "a.target_type = :target_type",
        "target_id": "a.target_id = :target_id",
    },
    sorts={"created_at": "a.created_at"},
    tiebreak="a.id",
    shape=audit.entry_payload,
)
