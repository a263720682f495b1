"""`python -m bench.replication` (`make bench-replicas`): read replicas and failover, measured.

- routing overhead: the reading routes' throughput (wrk, concurrency 16) on a server with one
  streaming replica configured (caught up) against one without, pair by pair in one run;
- commit latency with asynchronous and with synchronous replication (`synchronous_standby_names`),
  on crash-safe PostgreSQL (fsync and synchronous commit on);
- acknowledged writes lost when the primary stops at once (`pg_ctl stop -m immediate`) and the
  standby is promoted, without and with synchronous replication;
- the failover drill through the service (tests/replication.py): seconds from the primary's stop to
  the first acknowledged write on the promoted standby, and the requests that failed meanwhile.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("ENVIRONMENT", "development")

import httpx
import psycopg2

from bench.api_bench import run_wrk, seed, start_server, targets
from tests.pg import TestPostgres, TestStandby, free_port
from tests.replication import multi_host_url, pair, run_drill, run_sql

PARTS = ["routing", "latency", "loss", "failover"]
READ_ROUTES = ("GET /api/v1/me", "GET /api/v1/groups", "GET /api/v1/groups/{id}")
OUT = Path(__file__).parent / "out"


def routing_overhead(users: int, seconds: int, rounds: int) -> dict[str, Any]:
    primary = TestPostgres()
    primary.init()
    primary.start()
    standby = TestStandby(primary)
    folder = Path(tempfile.mkdtemp(prefix="howsmytrack-bench-replicas-"))
    servers = []
    try:
        print(f"  seeding {users:,} grouped users...", flush=True)
        url = seed(primary, users)
        files = targets(url, users, folder)
        standby.init()
        standby.start()
        replica_url = standby.url(url.rsplit("/", 1)[1])
        plain, routed = free_port(), free_port()
        servers.append(start_server(url, plain))
        servers.append(start_server(url, routed, DATABASE_REPLICA_URLS=replica_url))
        report: dict[str, Any] = {}
        for route in READ_ROUTES:
            pairs = []
            for _ in range(rounds):
                none = run_wrk(plain, files[route], seconds)
                one = run_wrk(routed, files[route], seconds)
                pairs.append({"none": none, "one_replica": one, "ratio": round(one["rps"] / none["rps"], 3)})
                print(f"  {route}: no replica {none} | one replica {one}", flush=True)
            report[route] = pairs
        on_replica = run_sql(replica_url, "SELECT sum(xact_commit) FROM pg_stat_database")[0][0]
        report["replica_transactions"] = int(on_replica)
        return report
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        standby.destroy()
        primary.destroy()
        shutil.rmtree(folder, ignore_errors=True)


def commit_latency(commits: int) -> dict[str, Any]:
    """Single-row commits one after another, first asynchronous, then synchronous replication."""
    report = {}
    with pair(synchronous=False, durable=True) as (primary, _):
        url = primary.url("app")
        run_sql(url, "CREATE TABLE note (id BIGSERIAL PRIMARY KEY, text TEXT NOT NULL)")
        for mode, names in (("asynchronous", ""), ("synchronous", "*")):
            run_sql(primary.admin_url, f"ALTER SYSTEM SET synchronous_standby_names = '{names}'")
            run_sql(primary.admin_url, "SELECT pg_reload_conf()")
            time.sleep(0.5)  # the setting reaches the backends at their next command
            connection = psycopg2.connect(url)
            connection.autocommit = True
            timings = []
            with connection.cursor() as cursor:
                for number in range(commits):
                    started = time.perf_counter()
                    cursor.execute("INSERT INTO note (text) VALUES (%s)", (f"write {number}",))
                    timings.append((time.perf_counter() - started) * 1000)
            connection.close()
            timings.sort()
            report[mode] = {
                "p50_ms": round(statistics.median(timings), 3),
                "p99_ms": round(timings[int(len(timings) * 0.99) - 1], 3),
                "commits_per_s": round(commits / (sum(timings) / 1000)),
            }
            print(f"  commit latency, {mode} replication: {report[mode]}", flush=True)
    return report


def lost_on_crash(acknowledged: int, synchronous: bool) -> dict[str, int]:
    """Four writers commit as fast as they can; once `acknowledged` writes were acknowledged the
    primary is stopped at once and the standby promoted: how many acknowledged writes it lacks."""
    with pair(synchronous=synchronous, durable=True) as (primary, standby):
        url = primary.url("app")
        run_sql(url, "CREATE TABLE note (id TEXT PRIMARY KEY)")
        acked: list[str] = []
        enough = threading.Event()

        def write(writer: int) -> None:
            connection = psycopg2.connect(url)
            connection.autocommit = True
            try:
                with connection.cursor() as cursor:
                    for number in range(10**9):
                        key = f"{writer}-{number}"
                        cursor.execute("INSERT INTO note (id) VALUES (%s)", (key,))
                        acked.append(key)
                        if len(acked) >= acknowledged:
                            enough.set()
            except psycopg2.Error:
                return  # the primary went away

        writers = [threading.Thread(target=write, args=(n,)) for n in range(4)]
        for thread in writers:
            thread.start()
        enough.wait(120)
        primary.stop("immediate")
        for thread in writers:
            thread.join()
        standby.promote()
        present = {row[0] for row in run_sql(standby.url("app"), "SELECT id FROM note")}
        return {"acknowledged": len(acked), "lost": sum(1 for key in acked if key not in present)}


def failover_drills(rounds: int, writers: int) -> list[dict[str, Any]]:
    from starlette.testclient import TestClient

    from db.migrate import migrate
    from settings import Settings
    from tests.builders import make_user
    from tests.pg import use_database
    from web.app import build_app

    results = []
    for _ in range(rounds):
        with pair(synchronous=True) as (primary, standby):
            url = multi_host_url(primary, standby)
            migrate(use_database(url, pool_size=5))
            folder = tempfile.mkdtemp(prefix="howsmytrack-bench-drill-")
            settings = Settings(
                database_url=url,
                direct_database_url=url,
                web_url="http://testserver",
                mail_folder=folder,
                log_level="WARNING",
            )
            people = [make_user() for _ in range(writers)]
            app = build_app(settings, httpx.MockTransport(lambda request: httpx.Response(503)))
            with TestClient(app, headers={"Origin": "http://testserver"}) as client:
                drill = run_drill(client, settings, people, primary, standby, writers // 3)
            present = {row[0] for row in run_sql(standby.url("app"), "SELECT id FROM feedback_request")}
            result = {
                "seconds_to_first_write": round(drill.seconds_to_first_write, 3),
                "promotion_s": round(drill.promoted_at - drill.stopped_at, 3),
                "failed_requests": drill.failed_during_switch,
                "statuses": dict(drill.statuses),
                "acknowledged_lost": len(set(drill.acknowledged) - present),
            }
            print(f"  failover drill: {result}", flush=True)
            results.append(result)
            shutil.rmtree(folder, ignore_errors=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.replication", description=__doc__)
    parser.add_argument("--users", type=int, default=4000)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--part", action="append", choices=PARTS, help="measure only this (repeatable)")
    args = parser.parse_args(argv)
    parts = args.part or PARTS
    path = OUT / "replication.json"
    report: dict[str, Any] = json.loads(path.read_text()) if path.exists() and args.part else {}
    if "routing" in parts:
        print("routing overhead (wrk, concurrency 16)", flush=True)
        report["routing"] = routing_overhead(args.users, args.seconds, args.rounds)
    if "latency" in parts:
        print("commit latency", flush=True)
        report["commit_latency"] = commit_latency(1000)
    if "loss" in parts:
        print("acknowledged writes lost on an immediate stop (3 runs each)", flush=True)
        report["lost_on_crash"] = {
            mode: [lost_on_crash(1000, mode == "synchronous") for _ in range(3)]
            for mode in ("asynchronous", "synchronous")
        }
    if "failover" in parts:
        print("failover drill through the service (3 runs)", flush=True)
        report["failover"] = failover_drills(3, 240)
    OUT.mkdir(exist_ok=True)
    path.write_text(json.dumps(report, indent=2))
    if set(report) < {"routing", "commit_latency", "lost_on_crash", "failover"}:
        return 0

    print("\nread routes: throughput with one replica / without (each pair; over all pairs)")
    for route in READ_ROUTES:
        pairs = report["routing"][route]
        overall = sum(row["one_replica"]["rps"] for row in pairs) / sum(row["none"]["rps"] for row in pairs)
        print(f"  {route:<26} " + "  ".join(str(row["ratio"]) for row in pairs) + f"; {overall:.3f}")
    latency = report["commit_latency"]
    print(
        f"commit p50 / p99 ms: asynchronous {latency['asynchronous']['p50_ms']} / {latency['asynchronous']['p99_ms']}"
        f", synchronous {latency['synchronous']['p50_ms']} / {latency['synchronous']['p99_ms']}"
    )
    for mode, runs in report["lost_on_crash"].items():
        print(f"lost of ~1,000 acknowledged, {mode}: " + ", ".join(str(run["lost"]) for run in runs))
    drills = report["failover"]
    print(
        "failover: first write after the stop in "
        + ", ".join(f"{row['seconds_to_first_write']} s" for row in drills)
        + "; failed requests "
        + ", ".join(str(row["failed_requests"]) for row in drills)
        + "; acknowledged writes lost "
        + ", ".join(str(row["acknowledged_lost"]) for row in drills)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
