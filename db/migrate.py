"""Applies the numbered files in `db/migrations/` with peewee's migration runner.

On PostgreSQL several containers may start at once, so the run is one transaction that first takes
a transaction-level advisory lock (released by commit or rollback, so never left behind on a pooled
or pooler's connection); the others wait for it and then find nothing pending. PostgreSQL's DDL is
transactional: a migration that fails leaves the schema as it was. `python -m db migrate` connects
to DIRECT_DATABASE_URL when DATABASE_URL is a pooler.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from peewee import Database, PostgresqlDatabase
from playhouse.migrations import Runner

from db.connection import PostgresPool

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# An arbitrary constant that names "schema migration" among this database's advisory locks.
MIGRATION_LOCK_KEY = 7_301_001


def _unpooled(db: Database) -> Database:
    if isinstance(db, PostgresPool):
        return PostgresqlDatabase(db.database, **db.connect_params)
    return db


def migrate(db: Database) -> list[str]:
    """Apply pending migrations; returns the names applied by this call."""
    target: Any = _unpooled(db)
    postgres = isinstance(target, PostgresqlDatabase)
    with target.connection_context():
        if not postgres:
            return list(Runner(target, directory=str(MIGRATIONS_DIR)).up())
        with target.atomic():
            target.execute_sql("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
            target.execute_sql("SET LOCAL statement_timeout = 0")  # the role's web limit is not for DDL
            return list(Runner(target, directory=str(MIGRATIONS_DIR)).up())


def pending(db: Database) -> list[str]:
    target = _unpooled(db)
    with target.connection_context():
        return [m.name for m in Runner(target, directory=str(MIGRATIONS_DIR)).status() if not m.applied]


def applied_migrations(db: Database) -> list[str]:
    """The names of the applied migrations, in order (inside the caller's connection)."""
    return [m.name for m in Runner(db, directory=str(MIGRATIONS_DIR)).status() if m.applied]
