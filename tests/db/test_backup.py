"""Backups as the README describes them: `pg_dump --format=custom` of the database, `pg_restore`
into a new one, and every table's row count and checksum compared."""

from __future__ import annotations

import subprocess
from pathlib import Path

from db.connection import database
from db.models import ALL_MODELS
from settings import Settings
from tests.db.test_dump import rich_data
from tests.pg import TestPostgres, direct_url, find_binary, use_database


def fingerprint(url: str) -> dict[str, tuple[int, str]]:
    """Each table's row count and the md5 of its rows' text, in primary-key order."""
    use_database(url, pool_size=2)
    found = {}
    with database.connection_context():
        for model in ALL_MODELS:
            table = model._meta.table_name
            order = ", ".join(f'"{field.column_name}"' for field in model._meta.sorted_fields)
            count, digest = database.execute_sql(
                f"SELECT COUNT(*), md5(COALESCE(string_agg(t::text, '|' ORDER BY {order}), '')) FROM \"{table}\" t"
            ).fetchone()
            found[table] = (count, digest)
    return found


def test_a_pg_dump_restores_into_a_new_database_with_every_row(
    pg_db: str, postgres_server: TestPostgres, tmp_path: Path
) -> None:
    rich_data(Settings(database_url=pg_db, direct_database_url=direct_url(pg_db), mail_folder=str(tmp_path / "mail")))
    before = fingerprint(pg_db)
    assert all(count for count, _ in before.values())
    backup = tmp_path / "howsmytrack.dump"
    subprocess.run([find_binary("pg_dump"), "--format=custom", f"--file={backup}", direct_url(pg_db)], check=True)
    restored = postgres_server.create_database("howsmytrack_restored")
    subprocess.run(
        [find_binary("pg_restore"), "--no-owner", "--exit-on-error", f"--dbname={restored}", str(backup)], check=True
    )
    assert fingerprint(restored) == before
    use_database(pg_db, pool_size=20)
