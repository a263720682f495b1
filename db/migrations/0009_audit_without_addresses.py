"""The audit log keeps ids, not email addresses: a deleted account's address must not outlive it in
an append-only table. Existing entries lose the addresses they wrote (`actor` becomes `admin` where
an admin acted; `email` leaves `detail`); pages show the current address by joining the ids.

The append-only guard steps aside for this one rewrite, inside the migration's transaction.
Frozen once shipped: this file states its own SQL instead of importing today's models.
"""

import json
from typing import Any

SQLITE_GUARDS = [
    """CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
    """CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END""",
]


def up(migrator: Any, db: Any) -> None:
    postgres = db.param == "%s"
    rows = db.execute_sql("SELECT id, actor_id, actor, detail FROM audit_log").fetchall()
    changes = []
    for entry_id, actor_id, actor, detail in rows:
        try:
            parsed = json.loads(detail or "{}")
        except ValueError:
            parsed = {}
        scrubbed = {key: value for key, value in parsed.items() if key != "email"} if isinstance(parsed, dict) else {}
        name = "admin" if actor_id is not None else actor
        if name != actor or scrubbed != parsed:
            changes.append((name, json.dumps(scrubbed, sort_keys=True), entry_id))
    if not changes:
        return
    if postgres:
        db.execute_sql("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
    else:
        db.execute_sql("DROP TRIGGER audit_log_no_update")
    for change in changes:
        db.execute_sql(f"UPDATE audit_log SET actor = {db.param}, detail = {db.param} WHERE id = {db.param}", change)
    if postgres:
        db.execute_sql("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
    else:
        db.execute_sql(SQLITE_GUARDS[0])
