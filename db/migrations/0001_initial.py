"""Initial schema: accounts, feedback requests, groups, responses, replies, job runs, outbox.

Frozen once shipped: this file states its own SQL instead of importing today's models.
"""

from typing import Any

TABLES = """
CREATE TABLE "user" (
    id {pk},
    email VARCHAR(254) NOT NULL,
    password_hash VARCHAR(255) NOT NULL,
    rating DOUBLE PRECISION,
    send_reminder_emails BOOLEAN NOT NULL DEFAULT TRUE,
    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
    token_version INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    CHECK (rating IS NULL OR (rating >= 1 AND rating <= 5))
);
CREATE UNIQUE INDEX user_email_lower ON "user" (LOWER(email));

CREATE TABLE revoked_token (
    jti VARCHAR(64) PRIMARY KEY,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX revoked_token_expires_at ON revoked_token (expires_at);

CREATE TABLE password_reset (
    token_hash VARCHAR(64) PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX password_reset_user_id ON password_reset (user_id);

CREATE TABLE rate_limit_counter (
    key VARCHAR(300) NOT NULL,
    "window" INTEGER NOT NULL,
    count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (key, "window")
);

CREATE TABLE feedback_group (
    id {pk},
    name VARCHAR(300) NOT NULL,
    genres VARCHAR(200) NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE feedback_request (
    id {pk},
    user_id INTEGER NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
    media_url VARCHAR(2000),
    media_type VARCHAR(20),
    genre VARCHAR(30) NOT NULL,
    feedback_prompt TEXT NOT NULL DEFAULT '',
    email_when_grouped BOOLEAN NOT NULL DEFAULT FALSE,
    group_id INTEGER REFERENCES feedback_group (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    track_title VARCHAR(500),
    track_author_name VARCHAR(500),
    track_thumbnail_url VARCHAR(2000),
    track_embed_html TEXT,
    track_fetched_at TIMESTAMP,
    track_fetch_attempts INTEGER NOT NULL DEFAULT 0,
    track_next_fetch_at TIMESTAMP,
    reminder_sent_at TIMESTAMP,
    CHECK ((media_url IS NULL) = (media_type IS NULL))
);
CREATE INDEX feedback_request_user_id ON feedback_request (user_id, created_at);
CREATE INDEX feedback_request_group_id ON feedback_request (group_id);
-- One pending request per user, and no two pending requests for the same track.
CREATE UNIQUE INDEX feedback_request_one_pending_per_user ON feedback_request (user_id)
    WHERE group_id IS NULL;
CREATE UNIQUE INDEX feedback_request_one_pending_per_url ON feedback_request (media_url)
    WHERE group_id IS NULL AND media_url IS NOT NULL;

CREATE TABLE feedback_response (
    id {pk},
    request_id INTEGER NOT NULL REFERENCES feedback_request (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
    group_id INTEGER NOT NULL REFERENCES feedback_group (id) ON DELETE CASCADE,
    feedback TEXT NOT NULL DEFAULT '',
    submitted_at TIMESTAMP,
    allow_replies BOOLEAN NOT NULL DEFAULT FALSE,
    rating SMALLINT,
    rated_at TIMESTAMP,
    UNIQUE (request_id, user_id),
    CHECK (rating IS NULL OR (rating BETWEEN 1 AND 5)),
    CHECK (rating IS NULL OR submitted_at IS NOT NULL)
);
CREATE INDEX feedback_response_user_id ON feedback_response (user_id, group_id);
CREATE INDEX feedback_response_rated ON feedback_response (user_id, submitted_at)
    WHERE rating IS NOT NULL;

CREATE TABLE reply (
    id {pk},
    response_id INTEGER NOT NULL REFERENCES feedback_response (id) ON DELETE CASCADE,
    author_id INTEGER NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    allow_replies BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP
);
CREATE INDEX reply_response_id ON reply (response_id, created_at);

CREATE TABLE job_run (
    id {pk},
    job VARCHAR(50) NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    outcome VARCHAR(20) NOT NULL DEFAULT 'running',
    counts TEXT NOT NULL DEFAULT '{{}}',
    error TEXT
);
CREATE INDEX job_run_job ON job_run (job, started_at);

CREATE TABLE email_outbox (
    id {pk},
    user_id INTEGER NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
    kind VARCHAR(30) NOT NULL,
    request_id INTEGER REFERENCES feedback_request (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);
CREATE INDEX email_outbox_pending ON email_outbox (id) WHERE sent_at IS NULL;
"""


def up(migrator: Any, db: Any) -> None:
    postgres = db.param == "%s"
    pk = "SERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY AUTOINCREMENT"
    for statement in TABLES.format(pk=pk).split(";"):
        lines = [line for line in statement.splitlines() if not line.strip().startswith("--")]
        if "".join(lines).strip():
            db.execute_sql("\n".join(lines))
