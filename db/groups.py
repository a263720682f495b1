"""Groups as their members see them: a page of summaries, and one group in full.

Both read paths run a fixed number of prepared queries whatever the number or size of groups.
"""

from __future__ import annotations

from typing import Any

from peewee import SQL, fn

from db.errors import NotFound
from db.models import FeedbackGroup, FeedbackRequest, FeedbackResponse, Reply, iso
from db.payloads import request_columns, request_payload, response_payload
from db.prepared import Prepared

Reviewed = FeedbackRequest.alias("reviewed")


def _genres(value: str) -> list[str]:
    return [genre for genre in value.split(",") if genre]


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
        FeedbackGroup.select()
        .join(FeedbackRequest, on=(FeedbackRequest.group == FeedbackGroup.id))
        .where(FeedbackRequest.user == user_id)
    )


def _count(query: Any) -> Any:
    return query.select(fn.COUNT(SQL("*")))


def _member_counts(user_id: int) -> list[Any]:
    """Columns counting the group's other members with a track (`tracked`) and without (`trackless`)."""
    others = FeedbackRequest.alias("others")
    other_members = others.select().where((others.group == FeedbackGroup.id) & (others.user != user_id))
    return [
        _count(other_members.where(others.media_url.is_null(False))).alias("tracked"),
        _count(other_members.where(others.media_url.is_null())).alias("trackless"),
    ]


def _page(user_id: int, limit: int, offset: int) -> Any:
    """A page of the user's groups, each with its counts and the total, in one query."""
    mine = FeedbackResponse.alias("mine")
    about_me = FeedbackResponse.alias("about_me")
    my_reviews = mine.select().where((mine.group == FeedbackGroup.id) & (mine.user == user_id))
    return (
        FeedbackGroup.select(
            FeedbackGroup.id.alias("id"),
            FeedbackGroup.name.alias("name"),
            FeedbackGroup.created_at.alias("created_at"),
            FeedbackGroup.genres.alias("genres"),
            *_member_counts(user_id),
            _count(my_reviews).alias("review_total"),
            _count(my_reviews.where(mine.submitted_at.is_null(False))).alias("review_done"),
            _count(
                about_me.select().where((about_me.request == FeedbackRequest.id) & about_me.submitted_at.is_null(False))
            ).alias("received"),
            fn.COUNT(SQL("*")).over().alias("total"),
        )
        .join(FeedbackRequest, on=(FeedbackRequest.group == FeedbackGroup.id))
        .where(FeedbackRequest.user == user_id)
        .order_by(FeedbackGroup.created_at.desc(), FeedbackGroup.id.desc())
        .limit(limit)
        .offset(offset)
    )


def _group_with_my_request(user_id: int, group_id: int) -> Any:
    return (
        FeedbackRequest.select(
            *request_columns(FeedbackRequest),
            FeedbackGroup.name.alias("group_name"),
            FeedbackGroup.created_at.alias("group_created_at"),
            FeedbackGroup.genres.alias("group_genres"),
            *_member_counts(user_id),
        )
        .join(FeedbackGroup, on=(FeedbackRequest.group == FeedbackGroup.id))
        .where((FeedbackRequest.group == group_id) & (FeedbackRequest.user == user_id))
    )


GROUP_COUNT = Prepared(lambda user_id: _my_groups(user_id).select(fn.COUNT(SQL("*")).alias("total")), 1)
GROUP_PAGE = Prepared(_page, 3)
GROUP_WITH_MY_REQUEST = Prepared(_group_with_my_request, 2)
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
    groups = GROUP_PAGE.rows(user_id, per_page, (page - 1) * per_page)
    # The page carries the total; only a page past the end needs a separate count.
    total = int(groups[0]["total"]) if groups else int(GROUP_COUNT.rows(user_id)[0]["total"])
    items = [
        {
            "id": group["id"],
            "name": group["name"],
            "created_at": iso(group["created_at"]),
            "genres": _genres(group["genres"]),
            "members": int(group["tracked"]),
            "trackless_members": int(group["trackless"]),
            "to_review_total": int(group["review_total"]),
            "to_review_done": int(group["review_done"]),
            "received_count": int(group["received"]),
        }
        for group in groups
    ]
    return {"items": items, "page": page, "per_page": per_page, "total": total}


def get_group(user_id: int, group_id: int) -> dict[str, Any]:
    row = GROUP_WITH_MY_REQUEST.first(user_id, group_id)
    if row is None:
        raise NotFound()
    to_review = TO_REVIEW.rows(user_id, group_id)
    received = RECEIVED.rows(user_id, row["id"])
    unlocked = all(item["submitted_at"] is not None for item in to_review)
    return {
        "id": group_id,
        "name": row["group_name"],
        "created_at": iso(row["group_created_at"]),
        "genres": _genres(row["group_genres"]),
        "my_request": request_payload(row),
        "members": int(row["tracked"]),
        "trackless_members": int(row["trackless"]),
        # Who rated what stays hidden from the writer; replies are theirs to read at any time.
        "to_review": [response_payload(item, show_rating=False, show_replies=True) for item in to_review],
        "received_count": len(received),
        "received": (
            [response_payload(item, show_rating=True, show_replies=item["rating"] is not None) for item in received]
            if unlocked
            else None
        ),
    }
