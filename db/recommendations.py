"""Tracks that need feedback: the daily recommendations, and the extra feedback written on them.

A track enters the needs-feedback pool at its group's deadline when it got fewer reviews than the
group promised (db/deadlines.py), for 14 days or until the missing reviews are written.

Each night `recommend_tracks` stores, for every active user (a request or a submitted review in the
last 30 days) and the day, up to five pool tracks. Never their own, never one they reviewed or whose
group they are in. Ranked by need (reviews missing; then the longest waiting) and by fit:
collaborative overlap (how many of the people who reviewed the same tracks as the user reviewed this
one), genre affinity (a genre of the user's own requests), rating closeness (owner's and user's).
Candidates are the tracks the user's co-reviewers reviewed, plus the most needed in the user's
genres and overall, so the work grows with users, not users times pool.

Extra feedback: a user may write once on a track recommended to them while it is in the pool. The
owner sees it with the feedback they received, can rate it and reply, and it counts toward the
writer's rating; it lowers the track's need by one, can clear the writer's oldest strike, and the
owner is notified.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from peewee import IntegrityError

from db import aspects, deadlines, notifications, submissions
from db.accounts import CurrentUser
from db.connection import database
from db.errors import Conflict, NotFound
from db.feedback_form import Submission
from db.models import FeedbackResponse, iso, utcnow
from db.payloads import request_columns_sql, request_payload
from db.sql import Statement

PER_DAY = 5
ACTIVE_DAYS = 30
PER_GENRE = 8  # the most needed tracks of each genre considered for each user
OVERALL = 8  # and overall

# Scoring weights: need first, then fit.
MISSING_WEIGHT, OVERLAP_WEIGHT, GENRE_WEIGHT, CLOSENESS_WEIGHT = 10.0, 3.0, 2.0, 1.0

_RECOMMEND = f"""
WITH pool AS (
    SELECT n.request_id, n.owner_id, n.group_id, n.genre, n.missing, n.entered_at,
        ROW_NUMBER() OVER (PARTITION BY n.genre ORDER BY n.missing DESC, n.entered_at, n.request_id) AS genre_rank,
        ROW_NUMBER() OVER (ORDER BY n.missing DESC, n.entered_at, n.request_id) AS overall_rank
    FROM needs_feedback n WHERE n.expires_at > :now AND n.missing > 0
),
active AS (
    SELECT u.id, u.rating FROM "user" u
    WHERE EXISTS (SELECT 1 FROM feedback_request r WHERE r.user_id = u.id AND r.created_at > :since)
       OR EXISTS (SELECT 1 FROM feedback_response w WHERE w.user_id = u.id AND w.submitted_at > :since)
),
genres AS (
    SELECT DISTINCT r.user_id, r.genre FROM feedback_request r JOIN active a ON a.id = r.user_id
),
overlap AS (
    -- co-reviewers of the user (reviewed a track the user reviewed) who reviewed a pool track
    SELECT mine.user_id, pool.request_id, COUNT(DISTINCT theirs.user_id) AS overlap
    FROM pool
    JOIN feedback_response theirs ON theirs.request_id = pool.request_id AND theirs.submitted_at IS NOT NULL
    JOIN feedback_response shared ON shared.user_id = theirs.user_id AND shared.submitted_at IS NOT NULL
    JOIN feedback_response mine ON mine.request_id = shared.request_id AND mine.user_id <> shared.user_id
        AND mine.submitted_at IS NOT NULL
    JOIN active a ON a.id = mine.user_id
    GROUP BY mine.user_id, pool.request_id
),
candidates AS (
    SELECT user_id, request_id FROM overlap
    UNION
    SELECT g.user_id, pool.request_id FROM genres g JOIN pool ON pool.genre = g.genre AND pool.genre_rank <= {PER_GENRE}
    UNION
    SELECT a.id, pool.request_id FROM active a JOIN pool ON pool.overall_rank <= {OVERALL}
),
scored AS (
    SELECT c.user_id, c.request_id,
        pool.missing * {MISSING_WEIGHT}
        + COALESCE(o.overlap, 0) * {OVERLAP_WEIGHT}
        + (CASE WHEN EXISTS (SELECT 1 FROM genres g WHERE g.user_id = c.user_id AND g.genre = pool.genre)
           THEN {GENRE_WEIGHT} ELSE 0 END)
        + (1 - ABS(COALESCE(a.rating, 3) - COALESCE(owner.rating, 3)) / 4.0) * {CLOSENESS_WEIGHT} AS score,
        pool.entered_at
    FROM candidates c
    JOIN pool ON pool.request_id = c.request_id
    JOIN active a ON a.id = c.user_id
    JOIN "user" owner ON owner.id = pool.owner_id
    LEFT JOIN overlap o ON o.user_id = c.user_id AND o.request_id = c.request_id
    WHERE pool.owner_id <> c.user_id
      AND NOT EXISTS (SELECT 1 FROM feedback_response done WHERE done.request_id = c.request_id
                      AND done.user_id = c.user_id)
      AND NOT EXISTS (SELECT 1 FROM feedback_request member WHERE member.group_id = pool.group_id
                      AND member.user_id = c.user_id)
),
ranked AS (
    SELECT user_id, request_id, score,
        ROW_NUMBER() OVER (PARTITION BY user_id ORDER BY score DESC, entered_at, request_id) AS rank
    FROM scored
)
INSERT INTO recommendation (user_id, day, rank, request_id, score)
SELECT user_id, :day, rank, request_id, score FROM ranked WHERE rank <= {PER_DAY}
"""
RECOMMEND = Statement(_RECOMMEND)  # WITH ... INSERT: both backends take it
_STORED = Statement("SELECT COUNT(*) AS n, COUNT(DISTINCT user_id) AS users FROM recommendation WHERE day = :day")
_FORGET_DAY = Statement("DELETE FROM recommendation WHERE day = :day")
_EXPIRED = Statement("DELETE FROM needs_feedback WHERE expires_at <= :now OR missing <= 0")


def recommend(now: dt.datetime) -> dict[str, int]:
    """Store today's recommendations (again, if run twice in a day), inside the caller's transaction."""
    day = now.date().isoformat()
    left = _EXPIRED.execute(now=now)
    _FORGET_DAY.execute(day=day)
    RECOMMEND.execute(now=now, since=now - dt.timedelta(days=ACTIVE_DAYS), day=day)
    # Counted, not taken from the INSERT's rowcount: SQLite reports -1 for a WITH ... INSERT.
    stored = _STORED.first(day=day)
    return {
        "recommended": int(stored["n"]) if stored else 0,
        "users": int(stored["users"]) if stored else 0,
        "left_pool": max(0, left),
    }


# --- reading ------------------------------------------------------------------------------------

_FOR_DAY = Statement(f"""
SELECT rec.rank, {request_columns_sql("req", "req_")}, n.missing, n.expires_at AS needed_until,
    mine.id AS my_response_id, mine.feedback AS my_feedback
FROM recommendation rec
JOIN feedback_request req ON req.id = rec.request_id
LEFT JOIN needs_feedback n ON n.request_id = rec.request_id AND n.expires_at > :now
LEFT JOIN feedback_response mine ON mine.request_id = rec.request_id AND mine.user_id = :user
WHERE rec.user_id = :user AND rec.day = :day
ORDER BY rec.rank
""")


def for_day(user: CurrentUser, day: dt.date, now: dt.datetime) -> dict[str, Any]:
    """The caller's recommendations for `day` (an empty list when none were made that day)."""
    items = []
    for row in _FOR_DAY.rows(user=user.id, day=day.isoformat(), now=now):
        items.append(
            {
                "rank": row["rank"],
                "request": request_payload(row, "req_", with_email_flag=False),
                "missing": int(row["missing"] or 0),
                "needed_until": iso(row["needed_until"]),
                "my_feedback": row["my_feedback"],
            }
        )
    return {"date": day.isoformat(), "items": items}


# --- extra feedback -----------------------------------------------------------------------------

_EXTRA_TARGET = Statement("""
SELECT req.id, req.user_id AS owner_id, req.group_id, n.missing, req.aspects, req.track_length_s,
    EXISTS (SELECT 1 FROM recommendation rec WHERE rec.request_id = req.id AND rec.user_id = :user) AS recommended,
    EXISTS (SELECT 1 FROM feedback_response done WHERE done.request_id = req.id AND done.user_id = :user) AS written
FROM feedback_request req LEFT JOIN needs_feedback n ON n.request_id = req.id AND n.expires_at > :now
WHERE req.id = :request
""")
_RECEIVED = Statement(
    "SELECT COUNT(*) AS n FROM feedback_response got WHERE got.request_id = :request AND got.submitted_at IS NOT NULL"
)
_NEED_ONE_LESS = Statement("UPDATE needs_feedback SET missing = missing - 1 WHERE request_id = :request")
_MET = Statement("DELETE FROM needs_feedback WHERE request_id = :request AND missing <= 0")


def write_extra(user: CurrentUser, request_id: int, submission: Submission) -> int:
    """Write extra feedback on a track recommended to the caller; returns the response's id."""
    now = utcnow()
    with database.atomic():
        target = _EXTRA_TARGET.first(user=user.id, request=request_id, now=now)
        if target is None or not target["recommended"]:
            raise NotFound()
        if target["written"]:
            raise Conflict("already_submitted", "You already wrote feedback on this track.")
        if target["missing"] is None:
            raise Conflict("no_longer_needed", "This track has all the feedback it was promised now; thank you!")
        asked = aspects.parsed(target["aspects"])
        checked = submissions.check(
            user.id, submissions.Target(request_id, asked, target["track_length_s"]), submission
        )
        if isinstance(checked, submissions.Checked):
            return _write_extra(user, request_id, target, checked, now)
    raise checked.error()  # after the transaction, which keeps the record of the refusal


def _write_extra(
    user: CurrentUser, request_id: int, target: dict[str, Any], checked: submissions.Checked, now: dt.datetime
) -> int:
    try:
        with database.atomic():  # a savepoint: PostgreSQL's transaction stays usable after a refusal
            response = FeedbackResponse.create(
                request=request_id, user=user.id, group=target["group_id"], extra=True, feedback=""
            )
    except IntegrityError:
        # The same writer's simultaneous request got there first (one response per writer and track).
        raise Conflict("already_submitted", "You already wrote feedback on this track.") from None
    submissions.store(response.id, checked)
    _NEED_ONE_LESS.execute(request=request_id)
    _MET.execute(request=request_id)
    deadlines.clear_oldest(user.id, target["group_id"], now)
    received = _RECEIVED.first(request=request_id)
    notifications.notify(
        target["owner_id"],
        notifications.FEEDBACK_RECEIVED,
        group_id=target["group_id"],
        request_id=request_id,
        response_id=response.id,
        count=int(received["n"]) if received else None,
    )
    return int(response.id)
