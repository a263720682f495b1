"""`python -m bench [--quick]`: jobs at scale and API throughput on a throwaway PostgreSQL.

Prints a table and writes the same figures to bench/out/report.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("ENVIRONMENT", "development")

from bench import targets
from bench.api_bench import bench_api
from bench.jobs_bench import bench_jobs
from tests.pg import TestPostgres, find_binary

OUT = Path(__file__).parent / "out"


def postgres_settings(server: TestPostgres) -> dict[str, str]:
    import psycopg2

    with psycopg2.connect(server.admin_url) as connection, connection.cursor() as cursor:
        found = {}
        for name in (
            "fsync",
            "synchronous_commit",
            "full_page_writes",
            "shared_buffers",
            "work_mem",
            "max_connections",
        ):
            cursor.execute(f"SHOW {name}")
            found[name] = cursor.fetchone()[0]
    connection.close()
    return found


def machine() -> dict[str, Any]:
    postgres = subprocess.run([find_binary("postgres"), "--version"], capture_output=True, text=True).stdout.strip()
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    memory_kb = int(next(line.split()[1] for line in meminfo if line.startswith("MemTotal")))
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "postgresql": postgres,
        "platform": platform.platform(),
    }


def table(report: dict[str, Any]) -> str:
    lines = ["", "machine: " + ", ".join(f"{k}={v}" for k, v in report["machine"].items())]
    lines.append("postgresql settings: " + ", ".join(f"{k}={v}" for k, v in report["postgres_settings"].items()))
    lines.append("")
    lines.append(f"{'job':<24}{'users':>10}{'wall s':>9}{'peak MB':>9}{'stmts':>8}{'emails':>8}")
    for row in report["jobs"]:
        emails = row.get("emails")
        lines.append(
            f"{row['job']:<24}{row['users']:>10,}{row['wall_s']:>9.2f}{row['peak_rss_mb']:>9.1f}{row['statements']:>8}"
            f"{'' if emails is None else emails:>8}"
        )
    sinks = {row["smtp_sink"] for row in report["jobs"] if row.get("smtp_sink")}
    if sinks:
        lines.append(f"(emails delivered over SMTP on loopback to: {', '.join(sorted(sinks))})")
    lines.append("")
    cpu_heading = f"{'CPU % (of one core): postgres/app/wrk':>40}"
    lines.append("(a route's share of the ceiling is against the ceiling measured just before it)")
    lines.append(f"{'route':<30}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'of ceiling':>12}{cpu_heading}")
    for row in report["api"]:
        lines.append(
            f"{row['route']:<30}{row['rps']:>9.1f}{row['p50_ms']:>9.2f}{row['p99_ms']:>9.2f}{row['errors']:>8}"
            f"{row['ceiling_fraction']:>12.2f}{_cpu(row):>40}"
        )
    if report["api_by_concurrency"]:
        lines.append("")
        lines.append(f"{'route':<30}{'conc.':>6}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{cpu_heading}")
        for row in report["api_by_concurrency"]:
            lines.append(
                f"{row['route']:<30}{row['concurrency']:>6}{row['rps']:>9.1f}{row['p50_ms']:>9.2f}{row['p99_ms']:>9.2f}"
                f"{_cpu(row):>40}"
            )
    return "\n".join(lines)


def _cpu(row: dict[str, Any]) -> str:
    cpu = row.get("cpu_pct")
    return f"{cpu['postgres']:.0f}/{cpu['app']:.0f}/{cpu['load']:.0f}" if cpu else ""


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1,000 users and 5 s of load per route")
    parser.add_argument("--skip-api", action="store_true")
    parser.add_argument("--skip-jobs", action="store_true")
    parser.add_argument("--users", type=int, action="append", help="time the jobs at this many users (repeatable)")
    parser.add_argument("--durable", action="store_true", help="PostgreSQL with fsync, synchronous commit, full pages")
    parser.add_argument("--skip-job", action="append", default=[], help="leave this job out (repeatable)")
    parser.add_argument("--report", help="the report's file name in bench/out (default report.json)")
    args = parser.parse_args()
    sizes = args.users or ([1_000] if args.quick else [10_000, 100_000])
    seconds = 5 if args.quick else 20
    api_users = 1_000 if args.quick else 10_000
    started = time.perf_counter()
    server = TestPostgres(durable=args.durable)
    server.init()
    server.start()
    report: dict[str, Any] = {
        "machine": machine(),
        "postgres_settings": postgres_settings(server),
        "jobs": [],
        "api": [],
        "api_by_concurrency": [],
    }
    try:
        if not args.skip_jobs:
            for users in sizes:
                print(f"jobs at {users:,} users", flush=True)
                report["jobs"].extend(bench_jobs(server, users, tuple(args.skip_job)))
        if not args.skip_api:
            print(f"API at {api_users:,} users, concurrency 16, {seconds} s per route", flush=True)
            report["api"], report["api_by_concurrency"] = bench_api(server, api_users, seconds)
    finally:
        server.destroy()
    OUT.mkdir(exist_ok=True)
    verdicts = targets.judge(report)
    report["targets"] = [vars(verdict) for verdict in verdicts]
    name = args.report or ("report-durable.json" if args.durable else "report.json")
    (OUT / name).write_text(json.dumps(report, indent=2))
    print(table(report))
    print("\n" + targets.table(verdicts))
    print(f"\nwritten to {OUT / name} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
