"""history: the latest job runs, newest first (`python -m jobs history [--limit N] [--job NAME]`)."""

from __future__ import annotations

import argparse

from db.connection import init_database
from db.models import JobRun, iso
from settings import load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jobs history", description=__doc__)
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--job")
    args = parser.parse_args(argv)
    db = init_database(load_settings().database_url, pool_size=1)
    with db.connection_context():
        query = JobRun.select().order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(max(1, args.limit))
        if args.job:
            query = query.where(JobRun.job == args.job)
        for run in query:
            line = f"{run.id:>6}  {iso(run.started_at)}  {iso(run.finished_at) or '-':<20}  {run.job:<24} {run.outcome:<8} {run.counts}"
            print(line + (f"  error: {run.error.splitlines()[0]}" if run.error else ""))
    return 0
