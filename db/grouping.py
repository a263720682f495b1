"""Forming groups in the database: read the waiting requests, write the plan in one transaction.

`read_candidates()` locks the rows it reads on PostgreSQL, so a request cannot be withdrawn or
changed (made trackless, say) while the plan that places it is being written: the user's edit
waits for the commit and then finds the request grouped. On SQLite the job's IMMEDIATE
transaction holds the write lock for the same effect.

Responses are inserted in a shuffled order, so a response's id says nothing about who wrote it.
"""

from __future__ import annotations

import random
from datetime import datetime

from db import deadlines, notifications, outbox, ratings
from db.account_lifecycle import VERIFIED
from db.bans import NOT_BANNED
from db.bulk import batched, insert_rows, update_from_values
from db.connection import database, is_postgres
from db.group_planning import Candidate, PlannedGroup, plan_groups
from db.models import FeedbackGroup, FeedbackRequest, User
from db.rows import tuple_rows

GROUPED_EMAIL = outbox.GROUPED
BATCH = 2000
_shuffler = random.SystemRandom()


def read_candidates(now: datetime) -> list[Candidate]:
    rows = (
        FeedbackRequest.select(
            FeedbackRequest.id,
            FeedbackRequest.user,
            FeedbackRequest.media_url.is_null(False).alias("tracked"),
            FeedbackRequest.genre,
            FeedbackRequest.created_at,
            User.rating,
        )
        .join(User, on=(FeedbackRequest.user == User.id))
        .where(FeedbackRequest.group.is_null() & NOT_BANNED)
    )
    if is_postgres():
        rows = rows.for_update(of=FeedbackRequest)
    struck = deadlines.struck_users(now)
    # Members the ratings job has not rated yet (new since it ran) stand at the formula's prior.
    prior = ratings.newcomer_rating(now)
    return [
        Candidate(
            id,
            user_id,
            bool(tracked),
            genre or "no_genre",
            created_at,
            prior if rating is None else rating,
            struck=user_id in struck,
        )
        for id, user_id, tracked, genre, created_at, rating in tuple_rows(rows)
    ]


def _allocate_group_ids(count: int) -> list[int]:
    if is_postgres():
        cursor = database.execute_sql(
            "SELECT nextval(pg_get_serial_sequence('feedback_group', 'id')) FROM generate_series(1, %s)", (count,)
        )
        return sorted(row[0] for row in cursor.fetchall())
    # SQLite: the IMMEDIATE transaction holds the write lock, so nobody else can take these ids.
    start = (FeedbackGroup.select(FeedbackGroup.id).order_by(FeedbackGroup.id.desc()).limit(1).scalar() or 0) + 1
    return list(range(start, start + count))


def apply_plan(groups: list[PlannedGroup], now: datetime, deadline_hours: int) -> dict[str, int]:
    ids = _allocate_group_ids(len(groups))
    due = deadlines.due_at(now, deadline_hours)
    group_rows = [
        (group_id, group.name(group_id), ",".join(sorted(group.genres)), now, due)
        for group_id, group in zip(ids, groups, strict=True)
    ]
    insert_rows("feedback_group", ("id", "name", "genres", "created_at", "due_at"), group_rows)
    memberships: list[tuple[int, int]] = []
    responses: list[tuple[int, int, int]] = []
    for group_id, group in zip(ids, groups, strict=True):
        members = group.tracked + group.trackless
        memberships.extend((member.id, group_id) for member in members)
        for writer in members:
            for owner in group.tracked:
                if owner.id != writer.id:
                    responses.append((owner.id, writer.user_id, group_id))
    update_from_values("feedback_request", "group_id", memberships, where='"feedback_request".group_id IS NULL')
    _shuffler.shuffle(responses)
    insert_rows("feedback_response", ("request_id", "user_id", "group_id"), responses)
    notified = GROUPED_NOTIFICATIONS.run(kind=notifications.GROUPED, now=now, first=ids[0], last=ids[-1])
    emails_queued = 0
    for chunk in batched(ids, BATCH):
        wanted = (
            FeedbackRequest.select(FeedbackRequest.user, FeedbackRequest.id, GROUPED_EMAIL, now)
            .join(User, on=(FeedbackRequest.user == User.id))
            .where(FeedbackRequest.group.in_(chunk) & FeedbackRequest.email_when_grouped & VERIFIED)
        )
        emails_queued += outbox.queue_group_emails(wanted)
    return {
        "groups": len(groups),
        "assigned": len(memberships),
        "responses": len(responses),
        "emails_queued": emails_queued,
        "notified": notified,
    }


# The new groups' ids are allocated as one run (the job's lock keeps others out), so a range finds them.
GROUPED_NOTIFICATIONS = notifications.NotifyFrom(
    "SELECT user_id, :kind, group_id, id, NULL, NULL, :now, NULL FROM feedback_request "
    "WHERE group_id BETWEEN :first AND :last"
)


def group_unassigned(now: datetime, deadline_hours: int) -> tuple[dict[str, int], list[str]]:
    """Plan and write groups for every waiting request, inside the caller's transaction."""
    groups, problems = plan_groups(read_candidates(now))
    counts = (
        apply_plan(groups, now, deadline_hours)
        if groups
        else {"groups": 0, "assigned": 0, "responses": 0, "emails_queued": 0, "notified": 0}
    )
    return counts, problems
