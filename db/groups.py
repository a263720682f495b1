"""Groups as their members see them: a page of summaries, and one group in full.

Both read paths run a fixed number of statements whatever the number or size of groups.

Anonymity: `received` is ordered by submission time (which each item already shows), then by id;
response ids are allocated in a shuffled order by the grouping job, so neither the order nor the
ids say who wrote what.
"""

from __future__ import annotations

from typing import Any

from db import response_details, visibility
from db.errors import NotFound
from db.models import iso
from db.payloads import page_of, request_columns_sql, request_payload, response_payload
from db.sql import Statement


def _genres(value: str) -> list[str]:
    return [genre for genre in value.split(",") if genre]


# The group's other members with a track (`tracked`) and without (`trackless`); `g` is the group.
MEMBER_COUNTS = """
    (SELECT COUNT(*) FROM feedback_request others
     WHERE others.group_id = g.id AND others.user_id <> :user AND others.media_url IS NOT NULL) AS tracked,
    (SELECT COUNT(*) FROM feedback_request others
     WHERE others.group_id = g.id AND others.user_id <> :user AND others.media_url IS NULL) AS trackless"""

GROUP_PAGE = Statement(f"""
SELECT g.id, g.name, g.created_at, g.due_at, g.genres, {MEMBER_COUNTS},
    (SELECT COUNT(*) FROM feedback_response mine WHERE mine.group_id = g.id AND mine.user_id = :user) AS review_total,
    (SELECT COUNT(*) FROM feedback_response mine
     WHERE mine.group_id = g.id AND mine.user_id = :user AND {visibility.submitted("mine")}) AS review_done,
    (SELECT COUNT(*) FROM feedback_response about_me
     WHERE about_me.request_id = r.id AND {visibility.submitted("about_me")}) AS received,
    {visibility.unlocked(":user", "g.id")} AS unlocked,
    {visibility.unread_in_group(":user", "g.id")} AS unread,
    r.track_title AS my_track_title,
    COUNT(*) OVER () AS total
FROM feedback_group g JOIN feedback_request r ON r.group_id = g.id
WHERE r.user_id = :user
ORDER BY g.created_at DESC, g.id DESC
LIMIT :limit OFFSET :offset
""")

GROUP_COUNT = Statement(
    "SELECT COUNT(*) AS total FROM feedback_request r WHERE r.user_id = :user AND r.group_id IS NOT NULL"
)

GROUP_WITH_MY_REQUEST = Statement(f"""
SELECT {request_columns_sql("r")}, g.name AS group_name, g.created_at AS group_created_at, g.due_at AS group_due_at,
    g.genres AS group_genres, {MEMBER_COUNTS}, {visibility.unlocked(":user", "g.id")} AS unlocked
FROM feedback_request r JOIN feedback_group g ON r.group_id = g.id
WHERE r.group_id = :group AND r.user_id = :user
""")


def _response_select(condition: str) -> str:
    """Responses with the request they are about and the viewer's (`:user`) reply counts."""
    return f"""
SELECT fr.id, fr.feedback, fr.submitted_at, fr.allow_replies, fr.rating, fr.hidden_at,
    fr.strongest_moment, fr.biggest_problem, fr.next_step, fr.notes,
    {visibility.thread_open_to(":user", "fr", owner="reviewed.user_id")} AS thread_open,
    (SELECT COUNT(*) FROM reply all_replies WHERE all_replies.response_id = fr.id) AS reply_count,
    {visibility.unread_on(":user", "fr", owner="reviewed.user_id")} AS unread_count,
    {visibility.replies_open("fr")} AS replies_open,
    {request_columns_sql("reviewed", "req_")}
FROM feedback_response fr JOIN feedback_request reviewed ON fr.request_id = reviewed.id
WHERE {condition}"""


# A group page's responses in one statement: those the member writes (`to_review`, in track order)
# and the submitted ones on their own track, `:request` (`received`, in submission order).
GROUP_RESPONSES = Statement(f"""
SELECT * FROM (
    SELECT 0 AS received, mine.* FROM ({_response_select("fr.user_id = :user AND fr.group_id = :group")}) mine
    UNION ALL
    SELECT 1, theirs.* FROM ({_response_select(f"fr.request_id = :request AND {visibility.submitted('fr')}")}) theirs
) parts
ORDER BY received, CASE WHEN received = 0 THEN req_id END, submitted_at, id
""")
ONE_RESPONSE = Statement(_response_select("fr.id = :response"))


def list_groups(user_id: int, page: int, per_page: int) -> dict[str, Any]:
    groups = GROUP_PAGE.rows(user=user_id, limit=per_page, offset=(page - 1) * per_page)
    # The page carries the total; only a page past the end needs a separate count.
    total = int(groups[0]["total"]) if groups else int(GROUP_COUNT.rows(user=user_id)[0]["total"])
    items = [
        {
            "id": group["id"],
            "name": group["name"],
            "created_at": iso(group["created_at"]),
            "due_at": iso(group["due_at"]),
            "genres": _genres(group["genres"]),
            "size": _size(group),
            "members": int(group["tracked"]),
            "trackless_members": int(group["trackless"]),
            "to_review_total": int(group["review_total"]),
            "to_review_done": int(group["review_done"]),
            "owed": int(group["review_total"]) - int(group["review_done"]),
            "received_count": int(group["received"]),
            "unlocked": bool(group["unlocked"]),
            "unread_replies": int(group["unread"]),
            "my_track_title": group["my_track_title"],
        }
        for group in groups
    ]
    return page_of(items, page, per_page, total)


def _size(row: dict[str, Any]) -> int:
    """Everyone in the group, the caller included."""
    return int(row["tracked"]) + int(row["trackless"]) + 1


def get_group(user_id: int, group_id: int) -> dict[str, Any]:
    row = GROUP_WITH_MY_REQUEST.first(user=user_id, group=group_id)
    if row is None:
        raise NotFound()
    responses = GROUP_RESPONSES.rows(user=user_id, group=group_id, request=row["id"])
    parts = response_details.read(response_details.IN_GROUP, user_id, group=group_id)
    to_review = [item for item in responses if not item["received"]]
    received = [item for item in responses if item["received"]]
    return {
        "id": group_id,
        "name": row["group_name"],
        "created_at": iso(row["group_created_at"]),
        "due_at": iso(row["group_due_at"]),
        "genres": _genres(row["group_genres"]),
        "my_request": request_payload(row),
        "size": _size(row),
        "members": int(row["tracked"]),
        "trackless_members": int(row["trackless"]),
        # Who rated what stays hidden from the writer.
        "to_review": [response_payload(item, False, parts[item["id"]]) for item in to_review],
        "received_count": len(received),
        "received": [response_payload(item, True, parts[item["id"]]) for item in received] if row["unlocked"] else None,
    }
