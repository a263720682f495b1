"""Feedback that helps: focus aspects, a guided form, notes pinned to moments, the effort gate's
record, and a rating that is fair to newcomers.

- feedback_request.aspects: up to three focus aspects the artist asked about (keys, comma-separated,
  in the documented order); empty for none.
- feedback_request.track_length_s: the track's length in whole seconds, when the artist gave it
  (marks may not point past it).
- feedback_response.strongest_moment / biggest_problem / next_step / notes: the guided form's fields
  (null for feedback written as one free text). `feedback` keeps the whole text, composed from them.
- aspect_answer: the reviewer's answer on one aspect the artist asked about, with an optional 1-5 score.
- feedback_mark: a note pinned to a moment (`at_s`) or a range (`at_s`..`to_s`) of the track.
- feedback_refusal: the effort gate refused a reviewer's feedback on a track (too short, or repeating
  their own earlier feedback): one row per reviewer, track and reason, counting the attempts, so
  retrying cannot grow the table without bound. Counted per reviewer for the admins.
- user.rating_percentile: the share of rated reviewers whose rating is below the user's (0-100),
  computed with the ratings.

Frozen once shipped: this file states its own SQL instead of importing today's models.
"""

from typing import Any

STATEMENTS = [
    "ALTER TABLE feedback_request ADD COLUMN aspects VARCHAR(200) NOT NULL DEFAULT ''",
    "ALTER TABLE feedback_request ADD COLUMN track_length_s INTEGER",
    "ALTER TABLE feedback_response ADD COLUMN strongest_moment TEXT",
    "ALTER TABLE feedback_response ADD COLUMN biggest_problem TEXT",
    "ALTER TABLE feedback_response ADD COLUMN next_step TEXT",
    "ALTER TABLE feedback_response ADD COLUMN notes TEXT",
    'ALTER TABLE "user" ADD COLUMN rating_percentile REAL',
    """CREATE TABLE aspect_answer (
    id {pk},
    response_id INTEGER NOT NULL REFERENCES feedback_response (id) ON DELETE CASCADE,
    aspect VARCHAR(30) NOT NULL,
    text TEXT NOT NULL,
    score SMALLINT CHECK (score BETWEEN 1 AND 5),
    UNIQUE (response_id, aspect)
)""",
    """CREATE TABLE feedback_mark (
    id {pk},
    response_id INTEGER NOT NULL REFERENCES feedback_response (id) ON DELETE CASCADE,
    at_s INTEGER NOT NULL CHECK (at_s >= 0),
    to_s INTEGER,
    text TEXT NOT NULL,
    CHECK (to_s IS NULL OR to_s >= at_s)
)""",
    "CREATE INDEX feedback_mark_response ON feedback_mark (response_id, at_s)",
    """CREATE TABLE feedback_refusal (
    id {pk},
    user_id INTEGER NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
    request_id INTEGER NOT NULL REFERENCES feedback_request (id) ON DELETE CASCADE,
    reason VARCHAR(20) NOT NULL,
    created_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1,
    UNIQUE (user_id, request_id, reason)
)""",
]


def up(migrator: Any, db: Any) -> None:
    postgres = db.param == "%s"
    pk = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY AUTOINCREMENT"
    for statement in STATEMENTS:
        db.execute_sql(statement.format(pk=pk))
