"""Drop feedback_response_one_per_writer: 0005 created it on (request_id, user_id), which the
table's UNIQUE constraint from 0001 already indexes, so every response was indexed twice for
nothing (one response per writer and track is still held by that constraint).

Frozen once shipped: this file states its own SQL instead of importing today's models.
"""

from typing import Any


def up(migrator: Any, db: Any) -> None:
    db.execute_sql("DROP INDEX IF EXISTS feedback_response_one_per_writer")
