"""`python -m bench.backup`: backup and restore at 100,000 users, on a throwaway PostgreSQL.

`pg_dump --format=custom` and `pg_restore` into a new database (as the README describes), and the
portable `python -m db export` / `import` into another new database; wall time and file size each.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("ENVIRONMENT", "development")

from bench import data
from bench.jobs_bench import run_job
from db.connection import init_database
from db.migrate import migrate
from db.passwords import hash_password
from tests.pg import TestPostgres, find_binary

ROOT = Path(__file__).parents[1]


def timed(*command: str, env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> int:
    users = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    folder = Path(tempfile.mkdtemp(prefix="howsmytrack-backup-"))
    pg = TestPostgres()
    pg.init()
    pg.start()
    try:
        url = pg.create_database("bench_backup")
        db = init_database(url, pool_size=2)
        migrate(db)
        with db.connection_context(), db.atomic():
            data.seed_users(db, users, hash_password("bench password 1"))
            data.seed_rating_history(db, users)
        with db.connection_context():
            data.seed_pending_requests(db)
        run_job("assign_groups", url)
        dump_file, json_file = folder / "howsmytrack.dump", folder / "howsmytrack.json"
        rows = [
            ("pg_dump", timed(find_binary("pg_dump"), "--format=custom", f"--file={dump_file}", url), dump_file),
            (
                "pg_restore",
                timed(
                    find_binary("pg_restore"),
                    "--no-owner",
                    "--exit-on-error",
                    f"--dbname={pg.create_database('bench_restored')}",
                    str(dump_file),
                ),
                None,
            ),
            (
                "db export",
                timed(sys.executable, "-m", "db", "export", str(json_file), env={"DATABASE_URL": url}),
                json_file,
            ),
            (
                "db import",
                timed(
                    sys.executable,
                    "-m",
                    "db",
                    "import",
                    str(json_file),
                    env={"DATABASE_URL": pg.create_database("bench_imported")},
                ),
                None,
            ),
        ]
    finally:
        pg.destroy()
    print(f"\n{users:,} users, grouped (15 rated reviews each and one new group):")
    for name, seconds, file in rows:
        size = f"{file.stat().st_size / 1e6:.1f} MB" if file else ""
        print(f"  {name:<12}{seconds:>8.1f} s  {size}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
