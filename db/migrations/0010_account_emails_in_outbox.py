"""Account emails (address links, password resets, change notices) go through the outbox too, so
that none depends on the web process staying alive after it answered.

- email_outbox.to_address: where to send when it is not the account's current address (a link to
  a new address, a notice to the old one).
- email_outbox.payload: what the message needs besides the account (a link's token, the new
  address), as JSON; emptied once the message is settled, so no token outlives its email here.
- email_outbox.next_attempt_at: a retried message waits (backing off) until then, so an SMTP
  server that is down for a while does not use up its attempts.

Frozen once shipped: this file states its own SQL instead of importing today's models.
"""

from typing import Any

STATEMENTS = [
    "ALTER TABLE email_outbox ADD COLUMN to_address VARCHAR(254)",
    "ALTER TABLE email_outbox ADD COLUMN payload TEXT",
    "ALTER TABLE email_outbox ADD COLUMN next_attempt_at TIMESTAMP",
    "CREATE INDEX email_outbox_waiting ON email_outbox (kind, id) WHERE sent_at IS NULL AND failed_at IS NULL",
]


def up(migrator: Any, db: Any) -> None:
    for statement in STATEMENTS:
        db.execute_sql(statement)
