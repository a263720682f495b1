"""Migrations with data: the schema is built at each earlier migration, filled with rows, upgraded
to the latest, and every row and value is still there (with the new columns' backfills), on
SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from peewee import Database, PostgresqlDatabase, SqliteDatabase
from playhouse.migrations import Runner

from db.migrate import MIGRATIONS_DIR
from tests.pg import TestPostgres

MIGRATIONS = [path.stem for path in sorted(MIGRATIONS_DIR.glob("0*.py"))]
FORMED = dt.datetime(2026, 11, 20, 2, 30, 0, 123456)

# Rows that the first schema can hold, so every later level can too (migrations only ever add).
ROWS: dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]] = {
    "user": (
        ("id", "email", "password_hash", "rating", "send_reminder_emails", "is_admin", "token_version", "created_at"),
        [
            (1, "ada@example.com", "hash-a", 4.25, True, False, 2, FORMED),
            (2, "bo@example.com", "hash-b", None, False, True, 0, FORMED),
        ],
    ),
    "feedback_group": (("id", "name", "genres", "created_at"), [(7, "Feedback Group #7 - Pop", "pop", FORMED)]),
    "feedback_request": (
        (
            "id",
            "user_id",
            "media_url",
            "media_type",
            "genre",
            "feedback_prompt",
            "email_when_grouped",
            "group_id",
            "created_at",
            "track_fetch_attempts",
        ),
        [
            (10, 1, "https://soundcloud.com/a/b", "soundcloud", "pop", "Mix?\nThanks ✓", True, 7, FORMED, 0),
            (11, 2, None, None, "pop", "", False, 7, FORMED, 0),
        ],
    ),
    "feedback_response": (
        ("id", "request_id", "user_id", "group_id", "feedback", "submitted_at", "allow_replies", "rating", "rated_at"),
        [(20, 10, 2, 7, "Lovely ünïcode", FORMED, True, 4, FORMED)],
    ),
    "reply": (
        ("id", "response_id", "author_id", "text", "allow_replies", "created_at"),
        [(30, 20, 1, "Thanks!", True, FORMED)],
    ),
    "email_outbox": (
        ("id", "user_id", "kind", "request_id", "created_at", "attempts"),
        [(40, 1, "grouped", 10, FORMED, 0)],
    ),
    "job_run": (
        ("id", "job", "started_at", "outcome", "counts"),
        [(50, "assign_groups", FORMED, "ok", '{"groups": 1}')],
    ),
}


def _databases(tmp_path: Path, server: TestPostgres, name: str) -> list[Database]:
    url = server.create_database(name)
    return [
        SqliteDatabase(str(tmp_path / f"{name}.sqlite3")),
        PostgresqlDatabase(url.rsplit("/", 1)[1], host="127.0.0.1", port=server.port, user="postgres"),
    ]


def _fill(db: Database) -> None:
    with db.atomic():
        for table, (columns, rows) in ROWS.items():
            marks = ", ".join([db.param] * len(columns))
            for row in rows:
                db.execute_sql(f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({marks})', row)


def _read(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    found = {}
    for table, (columns, _) in ROWS.items():
        cursor = db.execute_sql(f'SELECT {", ".join(columns)} FROM "{table}" ORDER BY id')
        found[table] = [tuple(_normal(value) for value in row) for row in cursor.fetchall()]
    return found


def _normal(value: Any) -> Any:
    """SQLite gives timestamps as text and booleans as 0/1; compare what they mean."""
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, bool):
        return int(value)
    return value


@pytest.mark.parametrize("level", MIGRATIONS[:-1])
def test_upgrading_from_each_earlier_level_keeps_every_row(
    level: str, postgres_server: TestPostgres, tmp_path: Path
) -> None:
    for db in _databases(tmp_path, postgres_server, f"from_{level}"):
        with db.connection_context():
            runner = Runner(db, directory=str(MIGRATIONS_DIR))
            runner.up(target=level)
            _fill(db)
            before = _read(db)
            applied = Runner(db, directory=str(MIGRATIONS_DIR)).up()
            assert applied == MIGRATIONS[MIGRATIONS.index(level) + 1 :]
            assert _read(db) == before, type(db).__name__
            if MIGRATIONS.index(level) < MIGRATIONS.index("0004_deadlines_and_strikes"):
                # The backfill: a group formed before deadlines existed is due 72 hours after it formed.
                due = _normal(db.execute_sql("SELECT due_at FROM feedback_group WHERE id = 7").fetchone()[0])
                assert due.replace(microsecond=0) == (FORMED + dt.timedelta(hours=72)).replace(microsecond=0)
            extra = db.execute_sql("SELECT extra FROM feedback_response WHERE id = 20").fetchone()[0]
            assert not extra
        db.close()


def test_the_audit_log_loses_the_addresses_it_once_wrote(postgres_server: TestPostgres, tmp_path: Path) -> None:
    """0009 scrubs addresses from entries written before it (the guard steps aside for that alone)."""
    for db in _databases(tmp_path, postgres_server, "audit_scrub"):
        with db.connection_context():
            Runner(db, directory=str(MIGRATIONS_DIR)).up(target="0008_one_response_index")
            insert = (
                "INSERT INTO audit_log (actor_id, actor, action, target_type, target_id, reason, detail, created_at)"
            )
            marks = ", ".join([db.param] * 8)
            db.execute_sql(
                f"{insert} VALUES ({marks})",
                (2, "bo@example.com", "ban", "user", 1, "spam", '{"email": "ada@example.com"}', FORMED),
            )
            db.execute_sql(
                f"{insert} VALUES ({marks})",
                (None, "command line", "grant_admin", "user", 2, "", '{"email": "bo@example.com"}', FORMED),
            )
            Runner(db, directory=str(MIGRATIONS_DIR)).up()
            rows = db.execute_sql("SELECT actor_id, actor, detail FROM audit_log ORDER BY id").fetchall()
            assert [tuple(row) for row in rows] == [(2, "admin", "{}"), (None, "command line", "{}")]
            with pytest.raises(Exception, match="append-only"), db.atomic():
                db.execute_sql("UPDATE audit_log SET reason = 'x'")
        db.close()
