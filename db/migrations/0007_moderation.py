"""Operators: bans, hidden content, reports, the audit log and daily statistics.

- user.banned_at / ban_reason: a banned account cannot sign in and is never grouped.
- feedback_response.hidden_at, reply.hidden_at: removed by a moderator (kept for the record; shown
  to nobody, and hidden feedback no longer counts for its writer's rating).
- report: a user's report of feedback or a reply they can read, once per item per user (the two
  unique indexes; NULLs are distinct on both backends). `writer_id` is the reported item's author.
- audit_log: every admin action; append-only (triggers refuse UPDATE and DELETE). Actors and
  targets are plain ids, not foreign keys, so no cascade can remove an entry.
- daily_stats: the nightly `compute_stats` figures of a UTC day, as JSON.

Frozen once shipped: this file states its own SQL instead of importing today's models.
"""

from typing import Any

STATEMENTS = [
    'ALTER TABLE "user" ADD COLUMN banned_at TIMESTAMP',
    'ALTER TABLE "user" ADD COLUMN ban_reason TEXT',
    "ALTER TABLE feedback_response ADD COLUMN hidden_at TIMESTAMP",
    "ALTER TABLE reply ADD COLUMN hidden_at TIMESTAMP",
    """CREATE TABLE report (
    id {pk},
    reporter_id INTEGER NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
    response_id INTEGER REFERENCES feedback_response (id) ON DELETE CASCADE,
    reply_id INTEGER REFERENCES reply (id) ON DELETE CASCADE,
    writer_id INTEGER NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
    reason VARCHAR(20) NOT NULL,
    text TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    state VARCHAR(20) NOT NULL DEFAULT 'open',
    resolved_at TIMESTAMP,
    resolved_by_id INTEGER,
    CHECK ((response_id IS NULL) <> (reply_id IS NULL))
)""",
    "CREATE UNIQUE INDEX report_once_per_response ON report (reporter_id, response_id)",
    "CREATE UNIQUE INDEX report_once_per_reply ON report (reporter_id, reply_id)",
    "CREATE INDEX report_queue ON report (state, created_at)",
    "CREATE INDEX report_writer ON report (writer_id)",
    "CREATE INDEX report_response ON report (response_id)",
    "CREATE INDEX report_reply ON report (reply_id)",
    """CREATE TABLE audit_log (
    id {pk},
    actor_id INTEGER,
    actor VARCHAR(254) NOT NULL,
    action VARCHAR(40) NOT NULL,
    target_type VARCHAR(20) NOT NULL,
    target_id INTEGER,
    reason TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '{{}}',
    created_at TIMESTAMP NOT NULL
)""",
    "CREATE INDEX audit_log_target ON audit_log (target_type, target_id)",
    """CREATE TABLE daily_stats (
    day VARCHAR(10) PRIMARY KEY,
    figures TEXT NOT NULL,
    computed_at TIMESTAMP NOT NULL
)""",
    'CREATE INDEX user_banned ON "user" (banned_at) WHERE banned_at IS NOT NULL',
]

POSTGRES_APPEND_ONLY = [
    """CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$""",
    """CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()""",
]

SQLITE_APPEND_ONLY = [
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
]


def up(migrator: Any, db: Any) -> None:
    postgres = db.param == "%s"
    pk = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY AUTOINCREMENT"
    for statement in STATEMENTS:
        db.execute_sql(statement.format(pk=pk))
    for statement in POSTGRES_APPEND_ONLY if postgres else SQLITE_APPEND_ONLY:
        db.execute_sql(statement)
