"""Each job's latest runs, as monitoring reads them (`/metrics`): from `job_run`, which every run
writes wherever it ran (the cron container, an operator's shell)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from peewee import fn

from db.models import JobRun


def _epoch(value: Any) -> float | None:
    if value is None:
        return None
    if not isinstance(value, dt.datetime):  # SQLite hands aggregates back as text
        value = dt.datetime.fromisoformat(str(value))
    return value.replace(tzinfo=dt.UTC).timestamp()


def _numbers(counts: str) -> dict[str, float]:
    try:
        parsed = json.loads(counts or "{}")
    except ValueError:
        return {}
    if not isinstance(parsed, dict):
        return {}
    return {str(k): float(v) for k, v in parsed.items() if isinstance(v, int | float) and not isinstance(v, bool)}


def _per_job(query: Any) -> dict[str, Any]:
    return {str(job): value for job, value in query.tuples()}


def last_runs() -> list[dict[str, Any]]:
    """Per job: `last_start`, `last_success` (epoch seconds or None), `duration` of its latest
    finished run (seconds or None) and that run's `counts`."""
    starts = _per_job(JobRun.select(JobRun.job, fn.MAX(JobRun.started_at)).group_by(JobRun.job))
    ok = JobRun.outcome == "ok"
    successes = _per_job(JobRun.select(JobRun.job, fn.MAX(JobRun.finished_at)).where(ok).group_by(JobRun.job))
    latest = JobRun.select(fn.MAX(JobRun.id)).where(JobRun.finished_at.is_null(False)).group_by(JobRun.job)
    finished = {run.job: run for run in JobRun.select().where(JobRun.id.in_(latest))}
    report = []
    for job in sorted(starts):
        run = finished.get(job)
        duration = None
        if run is not None and run.finished_at is not None:
            duration = max((run.finished_at - run.started_at).total_seconds(), 0.0)
        report.append(
            {
                "job": job,
                "last_start": _epoch(starts[job]),
                "last_success": _epoch(successes.get(job)),
                "duration": duration,
                "counts": _numbers(run.counts) if run is not None else {},
            }
        )
    return report
