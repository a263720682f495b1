"""Plain-data shapes of the contract (`request`, `response`), built from rows inside a unit of work."""

from __future__ import annotations

from typing import Any

from db import aspects
from db.media import HAS_METADATA, embed_url
from db.models import iso, utcnow
from db.response_details import Details
from db.schedule import next_run

GUIDED_COLUMNS = ("strongest_moment", "biggest_problem", "next_step", "notes")

REQUEST_COLUMNS = (
    "id",
    "media_url",
    "media_type",
    "genre",
    "feedback_prompt",
    "email_when_grouped",
    "group_id",
    "created_at",
    "track_title",
    "track_author_name",
    "track_thumbnail_url",
    "track_embed_html",
    "track_fetched_at",
    "track_fetch_attempts",
    "aspects",
    "track_length_s",
)
MAX_FETCH_ATTEMPTS = 8


def request_columns(model: Any, prefix: str = "") -> list[Any]:
    """The columns `request_payload` reads, selected from `model` (FeedbackRequest or an alias of it)."""
    return [getattr(model, "group" if name == "group_id" else name).alias(prefix + name) for name in REQUEST_COLUMNS]


def request_columns_sql(alias: str, prefix: str = "") -> str:
    """The same columns as SQL text, from the feedback_request alias `alias`."""
    return ", ".join(f"{alias}.{name} AS {prefix}{name}" for name in REQUEST_COLUMNS)


def request_payload(row: dict[str, Any], prefix: str = "", with_email_flag: bool = True) -> dict[str, Any]:
    """The contract's `request` from a row whose request columns carry `prefix`."""

    def col(name: str) -> Any:
        return row[prefix + name]

    track = None
    if col("track_fetched_at") is not None:
        track = {
            "title": col("track_title"),
            "author_name": col("track_author_name"),
            "thumbnail_url": col("track_thumbnail_url"),
            "embed_html": col("track_embed_html"),
        }
    payload: dict[str, Any] = {
        "id": col("id"),
        "media_url": col("media_url"),
        "media_type": col("media_type"),
        "genre": col("genre"),
        "feedback_prompt": col("feedback_prompt"),
        "aspects": aspects.parsed(col("aspects")),
        "track_length_s": col("track_length_s"),
    }
    if with_email_flag:
        payload["email_when_grouped"] = bool(col("email_when_grouped"))
    payload |= {
        "group_id": col("group_id"),
        "created_at": iso(col("created_at")),
        "track": track,
        "track_status": track_status(col("media_type"), col("track_fetched_at"), col("track_fetch_attempts")),
        "embed_url": embed_url(col("media_url")),
    }
    if with_email_flag:
        waiting = col("group_id") is None
        payload["next_grouping_at"] = iso(next_run("assign_groups", utcnow())) if waiting else None
    return payload


def track_status(kind: str | None, fetched_at: object, attempts: int) -> str | None:
    """`pending` while track details are still to be fetched, `failed` once fetching gave up, `ok`
    otherwise (fetched, or a service that has none to give); null without a track."""
    if kind is None:
        return None
    if fetched_at is not None or kind not in HAS_METADATA:
        return "ok"
    return "failed" if attempts >= MAX_FETCH_ATTEMPTS else "pending"


def response_payload(row: dict[str, Any], show_rating: bool, details: Details) -> dict[str, Any]:
    """The contract's `response` from a row of response columns plus `req_`-prefixed request columns,
    and its marks and aspect answers (db/response_details.py, already limited to what the viewer may read).

    Reply counts show only where the viewer's thread is open (`thread_open`, from db.visibility).
    Feedback a moderator removed (`hidden_at`) shows without its text, marks or form, to everyone.
    """
    show_replies = bool(row["thread_open"])
    removed = row["hidden_at"] is not None
    guided = None
    if row["strongest_moment"] is not None and not removed:
        guided = {"aspects": details.aspects} | {name: row[name] for name in GUIDED_COLUMNS}
    return {
        "id": row["id"],
        "request": request_payload(row, "req_", with_email_flag=False),
        "feedback": "" if removed else row["feedback"],
        "guided": guided,
        "marks": [] if removed else details.marks,
        "removed_by_moderator": removed,
        "submitted": row["submitted_at"] is not None,
        "submitted_at": iso(row["submitted_at"]),
        "allow_replies": bool(row["allow_replies"]),
        "rating": row["rating"] if show_rating else None,
        "replies": int(row["reply_count"]) if show_replies else 0,
        "unread_replies": int(row["unread_count"]) if show_replies else 0,
        "allow_further_replies": bool(row["replies_open"]) and show_replies,
    }


def page_of(items: list[dict[str, Any]], page: int, per_page: int, total: int) -> dict[str, Any]:
    """The contract's page shape, with `has_next`."""
    return {"items": items, "page": page, "per_page": per_page, "total": total, "has_next": page * per_page < total}
