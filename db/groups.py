"""Groups as their members see them: a page of summaries, and one group in full.

Both read paths run a fixed number of queries whatever the number or size of groups.
"""

from __future__ import annotations

from typing import Any

from peewee import SQL, Case, fn

from db.errors import NotFound
from db.models import FeedbackGroup, FeedbackRequest, FeedbackResponse, Reply, iso
from db.payloads import request_columns, request_payload, response_payload
from db.rows import dict_rows, first_dict, tuple_rows

Reviewed = FeedbackRequest.alias("reviewed")


def _count_if(condition: Any) -> Any:
    return fn.COALESCE(fn.SUM(Case(None, [(condition, 1)], 0)), 0)


def _genres(value: str) -> list[str]:
    return [genre for genre in value.split(",") if genre]


def _member_counts(user_id: int, group_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Per group: other members with a track, and other members without one."""
    rows = (
        FeedbackRequest.select(
            FeedbackRequest.group,
            _count_if(FeedbackRequest.media_url.is_null(False)).alias("tracked"),
            _count_if(FeedbackRequest.media_url.is_null()).alias("trackless"),
        )
        .where(FeedbackRequest.group.in_(group_ids) & (FeedbackRequest.user != user_id))
        .group_by(FeedbackRequest.group)
    )
    return {group_id: (int(tracked), int(trackless)) for group_id, tracked, trackless in tuple_rows(rows)}


def response_rows(condition: Any, viewer_id: int) -> list[dict[str, Any]]:
    """Responses with the request they are about and the viewer's reply counts, in one query."""
    replies = Reply.alias("all_replies")
    reply_count = replies.select(fn.COUNT(SQL("*"))).where(replies.response == FeedbackResponse.id)
    unread = Reply.alias("unread")
    unread_count = unread.select(fn.COUNT(SQL("*"))).where(
        (unread.response == FeedbackResponse.id) & (unread.author != viewer_id) & unread.read_at.is_null()
    )
    query = (
        FeedbackResponse.select(
            FeedbackResponse.id,
            FeedbackResponse.feedback,
            FeedbackResponse.submitted_at,
            FeedbackResponse.allow_replies,
            FeedbackResponse.rating,
            FeedbackResponse.group,
            reply_count.alias("reply_count"),
            unread_count.alias("unread_count"),
            *request_columns(Reviewed, "req_"),
        )
        .join(Reviewed, on=(FeedbackResponse.request == Reviewed.id))
        .where(condition)
        .order_by(FeedbackResponse.id)
    )
    return dict_rows(query)


def list_groups(user_id: int, page: int, per_page: int) -> dict[str, Any]:
    mine = (
        FeedbackGroup.select(FeedbackGroup.id, FeedbackGroup.name, FeedbackGroup.created_at, FeedbackGroup.genres)
        .join(FeedbackRequest, on=(FeedbackRequest.group == FeedbackGroup.id))
        .where(FeedbackRequest.user == user_id)
    )
    total = mine.count()
    groups = dict_rows(mine.order_by(FeedbackGroup.created_at.desc(), FeedbackGroup.id.desc()).paginate(page, per_page))
    ids = [group["id"] for group in groups]
    members = _member_counts(user_id, ids) if ids else {}
    reviews: dict[int, tuple[int, int]] = {}
    received: dict[int, int] = {}
    if ids:
        reviews = {
            group_id: (int(total_), int(done))
            for group_id, total_, done in tuple_rows(
                FeedbackResponse.select(
                    FeedbackResponse.group,
                    fn.COUNT(FeedbackResponse.id),
                    _count_if(FeedbackResponse.submitted_at.is_null(False)),
                )
                .where((FeedbackResponse.user == user_id) & FeedbackResponse.group.in_(ids))
                .group_by(FeedbackResponse.group)
            )
        }
        received = {
            group_id: int(count)
            for group_id, count in tuple_rows(
                FeedbackResponse.select(FeedbackResponse.group, fn.COUNT(FeedbackResponse.id))
                .join(Reviewed, on=(FeedbackResponse.request == Reviewed.id))
                .where(
                    (Reviewed.user == user_id)
                    & FeedbackResponse.group.in_(ids)
                    & FeedbackResponse.submitted_at.is_null(False)
                )
                .group_by(FeedbackResponse.group)
            )
        }
    items = []
    for group in groups:
        tracked, trackless = members.get(group["id"], (0, 0))
        to_review_total, to_review_done = reviews.get(group["id"], (0, 0))
        items.append(
            {
                "id": group["id"],
                "name": group["name"],
                "created_at": iso(group["created_at"]),
                "genres": _genres(group["genres"]),
                "members": tracked,
                "trackless_members": trackless,
                "to_review_total": to_review_total,
                "to_review_done": to_review_done,
                "received_count": received.get(group["id"], 0),
            }
        )
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def get_group(user_id: int, group_id: int) -> dict[str, Any]:
    row = first_dict(
        FeedbackRequest.select(
            *request_columns(FeedbackRequest),
            FeedbackGroup.name.alias("group_name"),
            FeedbackGroup.created_at.alias("group_created_at"),
            FeedbackGroup.genres.alias("group_genres"),
        )
        .join(FeedbackGroup, on=(FeedbackRequest.group == FeedbackGroup.id))
        .where((FeedbackRequest.group == group_id) & (FeedbackRequest.user == user_id))
    )
    if row is None:
        raise NotFound()
    tracked, trackless = _member_counts(user_id, [group_id]).get(group_id, (0, 0))
    to_review = response_rows((FeedbackResponse.user == user_id) & (FeedbackResponse.group == group_id), user_id)
    received = response_rows(
        (FeedbackResponse.request == row["id"]) & FeedbackResponse.submitted_at.is_null(False), user_id
    )
    unlocked = all(item["submitted_at"] is not None for item in to_review)
    return {
        "id": group_id,
        "name": row["group_name"],
        "created_at": iso(row["group_created_at"]),
        "genres": _genres(row["group_genres"]),
        "my_request": request_payload(row),
        "members": tracked,
        "trackless_members": trackless,
        # Who rated what stays hidden from the writer; replies are theirs to read at any time.
        "to_review": [response_payload(item, show_rating=False, show_replies=True) for item in to_review],
        "received_count": len(received),
        "received": (
            [response_payload(item, show_rating=True, show_replies=item["rating"] is not None) for item in received]
            if unlocked
            else None
        ),
    }
