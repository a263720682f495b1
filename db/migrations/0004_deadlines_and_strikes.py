"""Group deadlines and strikes.

- feedback_group.due_at: when the members' feedback is due (created + GROUP_DEADLINE_HOURS; groups
  formed before this migration get 72 hours); closed_at: when the deadline was dealt with.
- feedback_request.last_call_sent_at: the reminder 12 hours before the deadline, sent once.
- strike: a member who wrote none (`no_show`) or not all (`partial`) of what they owed in a group by
  its deadline; active until it expires (30 days) or is cleared by writing all they owe in a later
  group on time.

Frozen once shipped: this file states its own SQL instead of importing today's models.
"""

from typing import Any

STATEMENTS = [
    "ALTER TABLE feedback_group ADD COLUMN due_at TIMESTAMP",
    "ALTER TABLE feedback_group ADD COLUMN closed_at TIMESTAMP",
    "UPDATE feedback_group SET due_at = created_at + {deadline}",
    "CREATE INDEX feedback_group_open_due ON feedback_group (due_at) WHERE closed_at IS NULL",
    "ALTER TABLE feedback_request ADD COLUMN last_call_sent_at TIMESTAMP",
    """CREATE TABLE strike (
    id {pk},
    user_id INTEGER NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
    group_id INTEGER NOT NULL REFERENCES feedback_group (id) ON DELETE CASCADE,
    kind VARCHAR(20) NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    cleared_at TIMESTAMP,
    cleared_by_group_id INTEGER
)""",
    "CREATE UNIQUE INDEX strike_user_group ON strike (user_id, group_id)",
    "CREATE INDEX strike_active ON strike (user_id, expires_at) WHERE cleared_at IS NULL",
]


def up(migrator: Any, db: Any) -> None:
    postgres = db.param == "%s"
    pk = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY AUTOINCREMENT"
    deadline = "INTERVAL '72 hours'" if postgres else "0"
    for statement in STATEMENTS:
        if not postgres and "{deadline}" in statement:
            statement = "UPDATE feedback_group SET due_at = datetime(created_at, '+72 hours')"
        db.execute_sql(statement.format(pk=pk, deadline=deadline))
