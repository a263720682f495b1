"""The per-user inbox: one row for each thing that happened to a user.

The ids a client deep-links with (group, request, response) are plain integers, not foreign keys:
the thing may have gone since (a withdrawn request), and the grouping job's bulk insert of one row
per member does not pay a foreign-key check per row.

Frozen once shipped: this file states its own SQL instead of importing today's models.
"""

from typing import Any

STATEMENTS = [
    """CREATE TABLE notification (
    id {pk},
    user_id INTEGER NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
    kind VARCHAR(40) NOT NULL,
    group_id INTEGER,
    request_id INTEGER,
    response_id INTEGER,
    count INTEGER,
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP
)""",
    "CREATE INDEX notification_user_id ON notification (user_id, id)",
    "CREATE INDEX notification_unread ON notification (user_id) WHERE read_at IS NULL",
    "CREATE INDEX notification_read_at ON notification (read_at) WHERE read_at IS NOT NULL",
]


def up(migrator: Any, db: Any) -> None:
    postgres = db.param == "%s"
    pk = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY AUTOINCREMENT"
    for statement in STATEMENTS:
        db.execute_sql(statement.format(pk=pk))
