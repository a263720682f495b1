"""Tracks that need feedback, daily recommendations, and extra feedback.

- needs_feedback: a track that got fewer reviews than its group promised by the deadline (its
  owner having written their share), for 14 days, with how many it is missing.
- recommendation: for each user and day, up to five tracks from that pool, ranked.
- feedback_response.extra: feedback written on a recommended track by someone outside its group.
  One response per writer and track, in a group or not (the unique index states it).

Frozen once shipped: this file states its own SQL instead of importing today's models.
"""

from typing import Any

STATEMENTS = [
    """CREATE TABLE needs_feedback (
    request_id INTEGER PRIMARY KEY REFERENCES feedback_request (id) ON DELETE CASCADE,
    owner_id INTEGER NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
    group_id INTEGER NOT NULL,
    genre VARCHAR(30) NOT NULL,
    missing INTEGER NOT NULL,
    entered_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
)""",
    "CREATE INDEX needs_feedback_genre ON needs_feedback (genre, expires_at)",
    """CREATE TABLE recommendation (
    user_id INTEGER NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
    day VARCHAR(10) NOT NULL,
    rank INTEGER NOT NULL,
    request_id INTEGER NOT NULL REFERENCES feedback_request (id) ON DELETE CASCADE,
    score DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (user_id, day, rank)
)""",
    "CREATE INDEX recommendation_request ON recommendation (request_id, user_id)",
    "ALTER TABLE feedback_response ADD COLUMN extra BOOLEAN NOT NULL DEFAULT FALSE",
    "CREATE UNIQUE INDEX feedback_response_one_per_writer ON feedback_response (request_id, user_id)",
]


def up(migrator: Any, db: Any) -> None:
    for statement in STATEMENTS:
        db.execute_sql(statement)
