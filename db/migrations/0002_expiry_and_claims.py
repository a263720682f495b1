"""Expiry on rate-limit counters (for the nightly clean-up), and claims on outbox rows.

- rate_limit_counter.expires_at: when the counter's window has passed and the row can go.
- email_outbox.claimed_by / claimed_at: the sender that took the row (a lease, so a sender that
  died gives its rows back after a while); failed_at: delivery given up for good (a recipient the
  server refuses, or too many attempts).

Frozen once shipped: this file states its own SQL instead of importing today's models.
"""

from typing import Any

STATEMENTS = [
    "ALTER TABLE rate_limit_counter ADD COLUMN expires_at TIMESTAMP",
    "CREATE INDEX rate_limit_counter_expires_at ON rate_limit_counter (expires_at)",
    "ALTER TABLE email_outbox ADD COLUMN claimed_by VARCHAR(64)",
    "ALTER TABLE email_outbox ADD COLUMN claimed_at TIMESTAMP",
    "ALTER TABLE email_outbox ADD COLUMN failed_at TIMESTAMP",
    "CREATE INDEX email_outbox_claimed_by ON email_outbox (claimed_by) WHERE claimed_by IS NOT NULL",
    "CREATE INDEX email_outbox_sent_at ON email_outbox (sent_at) WHERE sent_at IS NOT NULL",
    "CREATE INDEX password_reset_expires_at ON password_reset (expires_at)",
]


def up(migrator: Any, db: Any) -> None:
    for statement in STATEMENTS:
        db.execute_sql(statement)
