"""`python -m bench.capacity` (`make bench-capacity`): how many cores 10k, 100k and 1M musicians need.

1. Measured here: each route's CPU per request on the app and on PostgreSQL (wrk at concurrency
   16 against uvicorn with two workers and one streaming replica, CPU read from /proc by process
   family as `make bench` does), and the WAL a write adds.
2. The mix of a musician's day is the soak's (`bench/soak.py`): 85 % reads spread evenly over `/me`,
   the group list, one group and the inbox, 15 % writes (feedback submitted).
3. The model: peak requests a second from the stated assumptions below; web cores from the app's CPU,
   replica cores from the reads' PostgreSQL CPU, primary cores from the writes'; each at 60 % busy.
   Then the limits that come in turn: the primary's write rate, WAL volume, connections, and the
   nightly jobs' duration (from `python -m bench --skip-api --users N` reports).
4. The check: the mix run closed-loop on this machine (primary plus one replica), measured
   throughput against what the per-route figures predict for the cores wrk leaves free.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import signal
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("ENVIRONMENT", "development")

import itertools

from bench.api_bench import run_wrk, seed, start_server, targets
from bench.cpu import cpu_shares
from tests.pg import TestPostgres, TestStandby, free_port
from tests.replication import run_sql

OUT = Path(__file__).parent / "out"
READS = ("GET /api/v1/me", "GET /api/v1/groups", "GET /api/v1/groups/{id}", "GET /api/v1/notifications")
WRITE = "PUT /api/v1/responses/{id}"
READ_SHARE = 0.85  # the soak's mix

ASSUMPTIONS = {
    "daily_active_share": 0.3,  # musicians who open the service on a given day
    "requests_per_active_day": 60,  # three visits of about twenty requests (pages, polls, writes)
    "peak_to_mean": 4.0,  # the busiest hour against the day's mean
    "target_busy": 0.6,  # cores sized to run at most 60 % busy at the peak
    "workers_per_web_core": 1,
    "pool_per_worker": 10,  # DB_POOL_SIZE (behind PgBouncer)
    "direct_connections_per_worker": 3,  # the listener, the mail sender's listener and its connection
    "max_connections": 100,  # PostgreSQL's default, as the production compose file runs it
    "pgbouncer_server_pool": 40,
    "nightly_window_s": 3600,  # the jobs run between 02:00 and 03:00
}
SCALES = (10_000, 100_000, 1_000_000)


def measure(users: int, seconds: int) -> dict[str, Any]:
    primary = TestPostgres()
    primary.init()
    primary.start()
    standby = TestStandby(primary)
    folder = Path(tempfile.mkdtemp(prefix="howsmytrack-capacity-"))
    server = None
    try:
        print(f"  seeding {users:,} grouped users...", flush=True)
        url = seed(primary, users)
        files = targets(url, users, folder)
        me_lines = files["GET /api/v1/me"].read_text().splitlines()
        files["GET /api/v1/notifications"] = folder / "notifications.tsv"
        files["GET /api/v1/notifications"].write_text(
            "\n".join(line.replace("/api/v1/me", "/api/v1/notifications", 1) for line in me_lines) + "\n"
        )
        standby.init()
        standby.start()
        port = free_port()
        server = start_server(url, port, DATABASE_REPLICA_URLS=standby.url(url.rsplit("/", 1)[1]))
        routes: dict[str, Any] = {}
        for route in (*READS, WRITE):
            cpu: dict[str, float] = {}
            wal_before = run_sql(url, "SELECT pg_current_wal_insert_lsn() - '0/0'")[0][0]
            with cpu_shares(server.pid, cpu):
                figures = run_wrk(port, files[route], seconds)
            wal = run_sql(url, "SELECT pg_current_wal_insert_lsn() - '0/0'")[0][0] - wal_before
            served = figures["rps"] * seconds
            routes[route] = {
                **figures,
                "cpu_pct": cpu,
                "app_ms": round(cpu["app"] * 10 / figures["rps"], 3),
                "postgres_ms": round(cpu["postgres"] * 10 / figures["rps"], 3),
                "wal_bytes": round(float(wal) / served) if served else None,
            }
            print(f"  {route}: {routes[route]}", flush=True)
        mix = folder / "mix.tsv"
        reads = [files[route].read_text().splitlines() for route in READS]
        # One-shot writes: the PUT route's run took them from the front, the mix takes them from the back.
        writes = files[WRITE].read_text().splitlines()[::-1]
        lines = []  # blocks of 17 reads (the four routes in turn) and 3 writes: 85 % / 15 %
        for block in range(min(len(writes) // 6, 2000)):
            lines += [reads[(block * 17 + n) % len(READS)][(block * 17 + n) % len(reads[0])] for n in range(17)]
            lines += writes[block * 3 : block * 3 + 3]
        mix.write_text("\n".join(lines) + "\n")
        cpu = {}
        with cpu_shares(server.pid, cpu):
            measured = run_wrk(port, mix, seconds)
        return {"routes": routes, "mix_run": {**measured, "cpu_pct": cpu}}
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        standby.destroy()
        primary.destroy()
        shutil.rmtree(folder, ignore_errors=True)


def per_request(routes: dict[str, Any]) -> dict[str, float]:
    """CPU milliseconds of an average request of the mix, by where it runs."""
    read_app = sum(routes[r]["app_ms"] for r in READS) / len(READS)
    read_pg = sum(routes[r]["postgres_ms"] for r in READS) / len(READS)
    write = routes[WRITE]
    return {
        "app_ms": READ_SHARE * read_app + (1 - READ_SHARE) * write["app_ms"],
        "replica_ms": READ_SHARE * read_pg,
        "primary_ms": (1 - READ_SHARE) * write["postgres_ms"],
        "write_pg_ms": write["postgres_ms"],
        "wal_bytes_per_write": write["wal_bytes"] or 0,
    }


def jobs_seconds(reports: list[Path]) -> dict[int, float]:
    """The nightly jobs' total wall time by user count, from `python -m bench` reports."""
    totals: dict[int, float] = {}
    for path in reports:
        if path.exists():
            for row in json.loads(path.read_text()).get("jobs", []):
                if not row["job"].startswith("stats today"):
                    totals[row["users"]] = totals.get(row["users"], 0.0) + row["wall_s"]
    return dict(sorted(totals.items()))


def model(cost: dict[str, float], jobs: dict[int, float]) -> tuple[list[dict[str, Any]], dict[str, float | None]]:
    """The cores each scale needs at its peak, each limit's use at each scale, and the number of
    musicians at which each limit is reached (the first of them is the one to plan for)."""
    a = ASSUMPTIONS

    def peak_of(musicians: float) -> float:
        return musicians * a["daily_active_share"] * a["requests_per_active_day"] / 86_400 * a["peak_to_mean"]

    def limits(musicians: float) -> dict[str, float]:
        peak = peak_of(musicians)
        writes = peak * (1 - READ_SHARE)
        workers = max(1, math.ceil(peak * cost["app_ms"] / 1000 / a["target_busy"])) * a["workers_per_web_core"]
        used = {
            # the primary's one busiest resource for writes: a core's worth of write statements
            "primary write rate (one core)": writes * cost["write_pg_ms"] / 1000,
            "WAL volume (100 MB/s)": writes * cost["wal_bytes_per_write"] / 100e6,
            "connections to the primary": (workers * a["direct_connections_per_worker"] + a["pgbouncer_server_pool"])
            / a["max_connections"],
        }
        if jobs:
            used["nightly jobs' window (1 h)"] = nightly_seconds(jobs, musicians) / a["nightly_window_s"]
        return used

    rows = []
    for musicians in SCALES:
        peak = peak_of(musicians)
        rows.append(
            {
                "musicians": musicians,
                "peak_rps": round(peak, 1),
                "web_cores": round(peak * cost["app_ms"] / 1000 / a["target_busy"], 2),
                "replica_cores": round(peak * cost["replica_ms"] / 1000 / a["target_busy"], 2),
                "primary_cores": round(peak * cost["primary_ms"] / 1000 / a["target_busy"], 2),
                **{name: round(value, 3) for name, value in limits(musicians).items()},
            }
        )
    reached: dict[str, float | None] = {}
    for name in limits(SCALES[0]):
        low, high = 1_000.0, 1e10  # musicians: bisect for where the limit's use reaches 1
        if limits(high)[name] < 1:
            reached[name] = None
            continue
        for _ in range(80):
            middle = math.sqrt(low * high)
            low, high = (middle, high) if limits(middle)[name] < 1 else (low, middle)
        reached[name] = round(high, -3)
    return rows, reached


def nightly_seconds(jobs: dict[int, float], musicians: float) -> float:
    """The jobs' total time at `musicians`, interpolated on log-log between measured sizes (and
    extrapolated from the two largest past them): their measured growth, not a linear guess."""
    sizes = sorted(jobs)
    if len(sizes) == 1:
        return jobs[sizes[0]] * musicians / sizes[0]
    pairs = list(itertools.pairwise(sizes))
    low, high = next(((a, b) for a, b in pairs if musicians <= b), pairs[-1])
    slope = math.log(jobs[high] / jobs[low]) / math.log(high / low)
    return jobs[low] * (musicians / low) ** slope


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.capacity", description=__doc__)
    parser.add_argument("--users", type=int, default=4000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--jobs-report", type=Path, action="append", default=[])
    args = parser.parse_args(argv)
    measured = measure(args.users, args.seconds)
    cost = per_request(measured["routes"])
    mix = measured["mix_run"]
    free_cores = (200 - mix["cpu_pct"]["load"] - mix["cpu_pct"]["other"]) / 100
    predicted = free_cores * 1000 / (cost["app_ms"] + cost["replica_ms"] + cost["primary_ms"])
    jobs = jobs_seconds(args.jobs_report or [OUT / "report.json"])
    rows, reached = model(cost, jobs)
    report = {
        "assumptions": ASSUMPTIONS,
        **measured,
        "cost": cost,
        "predicted_rps": round(predicted),
        "model": rows,
        "limit_reached_at_musicians": reached,
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "capacity.json").write_text(json.dumps(report, indent=2))

    print("\nCPU ms per request (app / PostgreSQL), WAL bytes per request:")
    for route, row in measured["routes"].items():
        print(f"  {route:<28} {row['app_ms']:>6} / {row['postgres_ms']:<6} {row['wal_bytes']}")
    print(
        f"mix on this machine (primary + one replica): measured {mix['rps']} req/s, predicted {predicted:.0f} "
        f"({mix['rps'] / predicted:.0%} of the prediction; {free_cores:.2f} cores left by wrk)"
    )
    print(f"nightly jobs, total seconds by users: {jobs or 'no report found'}")
    print(f"\nassumptions: {ASSUMPTIONS}")
    for row in rows:
        print("  " + ", ".join(f"{key} {value}" for key, value in row.items()))
    print("\nmusicians at which each limit is reached (first: the one to plan for):")
    for name, musicians in sorted(reached.items(), key=lambda item: item[1] or math.inf):
        print(f"  {name:<32} {f'{musicians:,.0f}' if musicians else 'beyond 10 billion'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
