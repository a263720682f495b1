"""Groups as their members see them: a page of summaries, and one group in full.

Both read paths run a fixed number of prepared queries whatever the number or size of groups.
"""

from __future__ import annotations

from typing import Any

from peewee import SQL, Case, fn

from db.errors import NotFound
from db.models import FeedbackGroup, FeedbackRequest, FeedbackResponse, Reply, iso
from db.payloads import request_columns, request_payload, response_payload
from db.prepared import Prepared

Reviewed = FeedbackRequest.alias("reviewed")


def _count_if(condition: Any) -> Any:
    return fn.COALESCE(fn.SUM(Case(None, [(condition, 1)], 0)), 0)


def _genres(value: str) -> list[str]:
    return [genre for genre in value.split(",") if genre]


def _member_counts(user_id: int, groups: Any) -> Any:
    """Per group in `groups` (an id or a subquery of ids): other members with and without a track."""
    in_groups = (FeedbackRequest.group == groups) if isinstance(groups, int) else FeedbackRequest.group.in_(groups)
    return (
        FeedbackRequest.select(
            FeedbackRequest.group.alias("group_id"),
            _count_if(FeedbackRequest.media_url.is_null(False)).alias("tracked"),
            _count_if(FeedbackRequest.media_url.is_null()).alias("trackless"),
        )
        .where(in_groups & (FeedbackRequest.user != user_id))
        .group_by(FeedbackRequest.group)
    )


def _responses(viewer_id: int, condition: Any) -> Any:
    """Responses with the request they are about and the viewer's reply counts."""
    replies = Reply.alias("all_replies")
    reply_count = replies.select(fn.COUNT(SQL("*"))).where(replies.response == FeedbackResponse.id)
    unread = Reply.alias("unread")
    unread_count = unread.select(fn.COUNT(SQL("*"))).where(
        (unread.response == FeedbackResponse.id) & (unread.author != viewer_id) & unread.read_at.is_null()
    )
    return (
        FeedbackResponse.select(
            FeedbackResponse.id.alias("id"),
            FeedbackResponse.feedback.alias("feedback"),
            FeedbackResponse.submitted_at.alias("submitted_at"),
            FeedbackResponse.allow_replies.alias("allow_replies"),
            FeedbackResponse.rating.alias("rating"),
            reply_count.alias("reply_count"),
            unread_count.alias("unread_count"),
            *request_columns(Reviewed, "req_"),
        )
        .join(Reviewed, on=(FeedbackResponse.request == Reviewed.id))
        .where(condition)
        .order_by(FeedbackResponse.id)
    )


def _my_groups(user_id: int) -> Any:
    return (
        FeedbackGroup.select(
            FeedbackGroup.id.alias("id"),
            FeedbackGroup.name.alias("name"),
            FeedbackGroup.created_at.alias("created_at"),
            FeedbackGroup.genres.alias("genres"),
        )
        .join(FeedbackRequest, on=(FeedbackRequest.group == FeedbackGroup.id))
        .where(FeedbackRequest.user == user_id)
    )


def _page(user_id: int, limit: int, offset: int) -> Any:
    return (
        _my_groups(user_id)
        .order_by(FeedbackGroup.created_at.desc(), FeedbackGroup.id.desc())
        .limit(limit)
        .offset(offset)
    )


def _page_ids(user_id: int, limit: int, offset: int) -> Any:
    return _page(user_id, limit, offset).select(FeedbackGroup.id)


def _review_counts(user_id: int, limit: int, offset: int) -> Any:
    return (
        FeedbackResponse.select(
            FeedbackResponse.group.alias("group_id"),
            fn.COUNT(FeedbackResponse.id).alias("total"),
            _count_if(FeedbackResponse.submitted_at.is_null(False)).alias("done"),
        )
        .where((FeedbackResponse.user == user_id) & FeedbackResponse.group.in_(_page_ids(user_id, limit, offset)))
        .group_by(FeedbackResponse.group)
    )


def _received_counts(user_id: int, limit: int, offset: int) -> Any:
    return (
        FeedbackResponse.select(FeedbackResponse.group.alias("group_id"), fn.COUNT(FeedbackResponse.id).alias("count"))
        .join(Reviewed, on=(FeedbackResponse.request == Reviewed.id))
        .where(
            (Reviewed.user == user_id)
            & FeedbackResponse.submitted_at.is_null(False)
            & FeedbackResponse.group.in_(_page_ids(user_id, limit, offset))
        )
        .group_by(FeedbackResponse.group)
    )


def _group_with_my_request(user_id: int, group_id: int) -> Any:
    return (
        FeedbackRequest.select(
            *request_columns(FeedbackRequest),
            FeedbackGroup.name.alias("group_name"),
            FeedbackGroup.created_at.alias("group_created_at"),
            FeedbackGroup.genres.alias("group_genres"),
        )
        .join(FeedbackGroup, on=(FeedbackRequest.group == FeedbackGroup.id))
        .where((FeedbackRequest.group == group_id) & (FeedbackRequest.user == user_id))
    )


GROUP_COUNT = Prepared(lambda user_id: _my_groups(user_id).select(fn.COUNT(SQL("*")).alias("total")), 1)
GROUP_PAGE = Prepared(_page, 3)
PAGE_MEMBER_COUNTS = Prepared(
    lambda user_id, limit, offset: _member_counts(user_id, _page_ids(user_id, limit, offset)), 3
)
PAGE_REVIEW_COUNTS = Prepared(_review_counts, 3)
PAGE_RECEIVED_COUNTS = Prepared(_received_counts, 3)
GROUP_WITH_MY_REQUEST = Prepared(_group_with_my_request, 2)
MEMBER_COUNTS = Prepared(_member_counts, 2)
TO_REVIEW = Prepared(
    lambda user_id, group_id: _responses(
        user_id, (FeedbackResponse.user == user_id) & (FeedbackResponse.group == group_id)
    ),
    2,
)
RECEIVED = Prepared(
    lambda user_id, request_id: _responses(
        user_id, (FeedbackResponse.request == request_id) & FeedbackResponse.submitted_at.is_null(False)
    ),
    2,
)
ONE_RESPONSE = Prepared(lambda user_id, response_id: _responses(user_id, FeedbackResponse.id == response_id), 2)


def list_groups(user_id: int, page: int, per_page: int) -> dict[str, Any]:
    offset = (page - 1) * per_page
    total = int(GROUP_COUNT.first(user_id)["total"])  # type: ignore[index]
    groups = GROUP_PAGE.rows(user_id, per_page, offset)
    members, reviews, received = {}, {}, {}
    if groups:
        members = {row["group_id"]: row for row in PAGE_MEMBER_COUNTS.rows(user_id, per_page, offset)}
        reviews = {row["group_id"]: row for row in PAGE_REVIEW_COUNTS.rows(user_id, per_page, offset)}
        received = {row["group_id"]: row for row in PAGE_RECEIVED_COUNTS.rows(user_id, per_page, offset)}
    items = []
    for group in groups:
        counts = members.get(group["id"], {})
        review = reviews.get(group["id"], {})
        items.append(
            {
                "id": group["id"],
                "name": group["name"],
                "created_at": iso(group["created_at"]),
                "genres": _genres(group["genres"]),
                "members": int(counts.get("tracked", 0)),
                "trackless_members": int(counts.get("trackless", 0)),
                "to_review_total": int(review.get("total", 0)),
                "to_review_done": int(review.get("done", 0)),
                "received_count": int(received.get(group["id"], {}).get("count", 0)),
            }
        )
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def get_group(user_id: int, group_id: int) -> dict[str, Any]:
    row = GROUP_WITH_MY_REQUEST.first(user_id, group_id)
    if row is None:
        raise NotFound()
    counts = MEMBER_COUNTS.first(user_id, group_id) or {"tracked": 0, "trackless": 0}
    to_review = TO_REVIEW.rows(user_id, group_id)
    received = RECEIVED.rows(user_id, row["id"])
    unlocked = all(item["submitted_at"] is not None for item in to_review)
    return {
        "id": group_id,
        "name": row["group_name"],
        "created_at": iso(row["group_created_at"]),
        "genres": _genres(row["group_genres"]),
        "my_request": request_payload(row),
        "members": int(counts["tracked"]),
        "trackless_members": int(counts["trackless"]),
        # Who rated what stays hidden from the writer; replies are theirs to read at any time.
        "to_review": [response_payload(item, show_rating=False, show_replies=True) for item in to_review],
        "received_count": len(received),
        "received": (
            [response_payload(item, show_rating=True, show_replies=item["rating"] is not None) for item in received]
            if unlocked
            else None
        ),
    }
