"""What every job shares: its lock, its one transaction, the record of each run, the summary line.

Locking: on PostgreSQL a transaction-level advisory lock (`pg_try_advisory_xact_lock`), released
by commit or rollback and so never leaked to a pooled connection; a second run exits without
effect. On SQLite the transaction starts IMMEDIATE, so a second run waits and then finds nothing
to do.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sentry_sdk

from db.connection import database, init_database, is_postgres
from db.models import JobRun, utcnow
from error_reporting import start_error_reporting
from settings import Settings, load_settings

log = logging.getLogger("howsmytrack.jobs")


class JobBusy(Exception):
    """Another run of the same job holds the lock."""


@dataclass
class JobResult:
    summary: str
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    outcome: str = "ok"


def lock_key(job: str) -> int:
    return zlib.crc32(f"howsmytrack.job.{job}".encode())


@contextmanager
def job_transaction(job: str) -> Iterator[None]:
    """The job's one transaction, holding the job's lock."""
    if is_postgres():
        with database.atomic():
            acquired = database.execute_sql("SELECT pg_try_advisory_xact_lock(%s)", (lock_key(job),)).fetchone()[0]
            if not acquired:
                raise JobBusy(job)
            # A job may take long: the web role's statement limit (a role setting behind a pooler)
            # does not apply to it.
            database.execute_sql("SET LOCAL statement_timeout = 0")
            yield
    else:
        with database.atomic(lock_type="IMMEDIATE"):
            yield


def _record_start(job: str) -> int:
    with database.atomic():
        return int(JobRun.create(job=job).id)


def _record_end(run_id: int, outcome: str, counts: dict[str, int], error: str | None) -> None:
    with database.atomic():
        JobRun.update(finished_at=utcnow(), outcome=outcome, counts=json.dumps(counts), error=error).where(
            JobRun.id == run_id
        ).execute()


def execute(job: str, work: Callable[[], JobResult]) -> tuple[int, JobResult]:
    """Run `work` as a recorded run of `job`; returns the exit status and the result."""
    with database.connection_context():
        run_id = _record_start(job)
        try:
            result = work()
        except JobBusy:
            result = JobResult("another run holds the lock; nothing done", outcome="skipped")
        except Exception as error:
            log.exception("%s failed", job)
            _record_end(run_id, "failed", {}, f"{type(error).__name__}: {error}")
            return 1, JobResult(f"failed: {type(error).__name__}: {error}", outcome="failed")
        error_text = "\n".join(result.problems) or None
        _record_end(run_id, result.outcome, result.counts, error_text)
    for problem in result.problems:
        log.warning("%s: %s", job, problem)
    return (0 if result.outcome in ("ok", "skipped") else 1), result


def job_main(job: str, doc: str, argv: list[str] | None, work: Callable[[Settings], JobResult]) -> int:
    """The shared `main()`: parse `--help`, configure, run, print one summary line."""
    argparse.ArgumentParser(prog=f"python -m jobs {job}", description=doc).parse_args(argv)
    settings = load_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    reporting = start_error_reporting(settings)
    init_database(settings.database_url, pool_size=2, behind_pooler=settings.database_is_pooled)
    try:
        status, result = execute(job, lambda: work(settings))
    except Exception as error:  # the run could not even be recorded: database unreachable, schema missing
        log.exception("%s could not run", job)
        print(f"{job}: failed: {type(error).__name__}: {error}")
        if reporting:
            sentry_sdk.flush(5)
        return 1
    counts = " ".join(f"{key}={value}" for key, value in result.counts.items())
    print(f"{job}: {result.outcome}: {result.summary}" + (f" [{counts}]" if counts else ""))
    sys.stdout.flush()
    if reporting:
        sentry_sdk.flush(5)  # the process ends next: send what it reported first
    return status
