"""Email verification, email change and account deletion.

- user.email_verified_at: when the address was proved (accounts that existed before count as
  verified when they were made); pending_email: a new address waiting for its link; deleted_at:
  the account was deleted (the row stays, without email or password, so the anonymous feedback its
  owner wrote keeps its place).
- email_verification: single-use, expiring links that prove an address (`verify`: the address the
  account was made with; `change`: a new one, which becomes the login once proved).

Frozen once shipped: this file states its own SQL instead of importing today's models.
"""

from typing import Any

STATEMENTS = [
    'ALTER TABLE "user" ADD COLUMN email_verified_at TIMESTAMP',
    'UPDATE "user" SET email_verified_at = created_at',
    'ALTER TABLE "user" ADD COLUMN pending_email VARCHAR(254)',
    'ALTER TABLE "user" ADD COLUMN deleted_at TIMESTAMP',
    """CREATE TABLE email_verification (
    token_hash VARCHAR(64) PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
    email VARCHAR(254) NOT NULL,
    purpose VARCHAR(10) NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
)""",
    "CREATE INDEX email_verification_user ON email_verification (user_id, created_at)",
]


def up(migrator: Any, db: Any) -> None:
    for statement in STATEMENTS:
        db.execute_sql(statement)
