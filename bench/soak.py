"""`python -m bench.soak [--minutes 10] [--rate 150]`: a fixed, sustainable request rate over a mix
of reads and writes, against uvicorn with two workers, for a while.

Every 10 s it samples each worker's RSS; each minute it prints that minute's latency percentiles,
answers and errors. Open-loop: requests leave on schedule whether or not earlier ones have been
answered, so a stall shows as latency instead of hiding as a lower rate. Targets: zero errors, and
each worker's RSS at the end within 10 % of where it was after the first minute (the warm-up).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import statistics
import time
from pathlib import Path
from typing import Any

from bench import data
from bench.api_bench import SECRET, seed, start_server
from db.connection import database, init_database
from db.models import FeedbackRequest, FeedbackResponse
from settings import Settings
from tests.pg import TestPostgres, free_port
from web.tokens import issue_token

OUT = Path(__file__).parent / "out"
WARM_UP_S = 60
SAMPLE_S = 10
RSS_DRIFT = 0.10


def workers_of(master: int) -> list[int]:
    """uvicorn's worker processes: the children of its master process (not multiprocessing's
    resource tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == master and b"resource_tracker" not in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
    return sorted(found)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def requests_mix(url: str, users: int) -> tuple[list[tuple[str, str, str]], list[tuple[int, str]]]:
    """(method, path, token) reads, and one-shot writes (response id, token)."""
    settings = Settings(database_url=url, secret_key=SECRET)
    init_database(url, pool_size=2)
    with database.connection_context():
        members = list(
            FeedbackRequest.select(FeedbackRequest.user, FeedbackRequest.group)
            .where(
                FeedbackRequest.group.is_null(False)
                & FeedbackRequest.media_url.startswith("https://soundcloud.com/pending/")
            )
            .tuples()
        )
        open_responses = list(
            FeedbackResponse.select(FeedbackResponse.id, FeedbackResponse.user)
            .where(FeedbackResponse.submitted_at.is_null())
            .tuples()
        )
    rng = random.Random(11)
    rng.shuffle(members)
    rng.shuffle(open_responses)
    tokens: dict[int, str] = {}

    def token(user: int) -> str:
        if user not in tokens:
            tokens[user] = issue_token(settings, user, 0)[0]
        return tokens[user]

    reads = []
    for user, group in members[:3000]:
        reads += [
            ("GET", "/api/v1/me", token(user)),
            ("GET", "/api/v1/groups", token(user)),
            ("GET", f"/api/v1/groups/{group}", token(user)),
            ("GET", "/api/v1/notifications", token(user)),
        ]
    writes = [(rid, token(user)) for rid, user in open_responses]
    return reads, writes


class Connections:
    """Keep-alive HTTP/1.1 connections to the server, each used by one request at a time (a minimal
    client: httpx's pool spends time quadratic in the waiting requests once a burst queues up)."""

    def __init__(self, port: int, count: int) -> None:
        self.port = port
        self.count = count
        self.idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()

    async def open(self) -> None:
        for _ in range(self.count):
            self.idle.put_nowait(await asyncio.open_connection("127.0.0.1", self.port))

    async def request(self, method: str, path: str, token: str, body: bytes = b"") -> int:
        reader, writer = await self.idle.get()
        try:
            head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            if body:
                head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            writer.write(head.encode() + b"\r\n" + body)
            headers = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            status = int(headers.split(" ", 2)[1])
            length = next(
                (
                    int(line.split(":", 1)[1])
                    for line in headers.split("\r\n")
                    if line.lower().startswith("content-length:")
                ),
                0,
            )
            await reader.readexactly(length)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
            status = 0
        self.idle.put_nowait((reader, writer))
        return status


async def load(
    port: int, rate: float, seconds: float, reads: list, writes: list, on_sample: Any
) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Send `rate` requests a second for `seconds`: 85 % reads, 15 % writes (submitting feedback and
    marking notifications read). Latency counts from when a request was due to leave, so waiting
    for a free connection counts too. Returns one row per minute, and the whole run's per route."""
    rng = random.Random(5)
    by_kind: dict[str, list[float]] = {}
    minutes: list[dict[str, Any]] = []
    current: dict[str, Any] = {"latencies": [], "errors": 0, "statuses": {}}
    connections = Connections(port, 64)
    await connections.open()
    mark_all = json.dumps({"all": True}).encode()

    async def one(kind: float, due: float) -> None:
        if kind < 0.85 or not writes:
            method, path, token = reads[rng.randrange(len(reads))]
            name = f"{method} {re.sub(r'/[0-9]+', '/{id}', path)}"
            status = await connections.request(method, path, token)
        elif kind < 0.95:
            rid, token = writes.pop()
            name = "PUT /api/v1/responses/{id}"
            status = await connections.request(
                "PUT", f"/api/v1/responses/{rid}", token, data.feedback_body(rng).encode()
            )
        else:
            _, _, token = reads[rng.randrange(len(reads))]
            name = "POST /api/v1/notifications/read"
            status = await connections.request("POST", "/api/v1/notifications/read", token, mark_all)
        bucket = current
        latency = (time.perf_counter() - due) * 1000
        bucket["latencies"].append(latency)
        by_kind.setdefault(name, []).append(latency)
        bucket["statuses"][status] = bucket["statuses"].get(status, 0) + 1
        if status == 0 or status >= 500:
            bucket["errors"] += 1

    started = time.perf_counter()
    next_sample = 0.0
    minute_end = 60.0
    tasks: set[asyncio.Task[None]] = set()
    sent = 0
    while (elapsed := time.perf_counter() - started) < seconds:
        due = sent / rate
        if elapsed < due:
            await asyncio.sleep(due - elapsed)
        task = asyncio.create_task(one(rng.random(), started + due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        sent += 1
        elapsed = time.perf_counter() - started
        if elapsed >= next_sample:
            on_sample(elapsed)
            next_sample += SAMPLE_S
        if elapsed >= minute_end:
            minutes.append(current)
            current = {"latencies": [], "errors": 0, "statuses": {}}
            minute_end += 60.0
            row = summarise(minutes[-1], len(minutes))
            print(
                f"  minute {row['minute']:>2}: {row['requests']} answered, p50 {row['p50_ms']} ms, "
                f"p99 {row['p99_ms']} ms, max {row['max_ms']} ms, errors {row['errors']}",
                flush=True,
            )
    await asyncio.gather(*tasks)
    if current["latencies"]:
        minutes.append(current)
    routes = {
        name: summarise({"latencies": values, "errors": 0, "statuses": {}}, 0) for name, values in by_kind.items()
    }
    return [summarise(minute, index + 1) for index, minute in enumerate(minutes)], routes


def summarise(minute: dict[str, Any], number: int) -> dict[str, Any]:
    values = sorted(minute["latencies"])
    cut = statistics.quantiles(values, n=100) if len(values) > 1 else values * 99 or [0.0] * 99
    return {
        "minute": number,
        "requests": len(values),
        "p50_ms": round(cut[49], 1),
        "p90_ms": round(cut[89], 1),
        "p99_ms": round(cut[98], 1),
        "max_ms": round(values[-1], 1) if values else 0.0,
        "errors": minute["errors"],
        "statuses": {str(k): v for k, v in sorted(minute["statuses"].items())},
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=200, help="requests a second")
    parser.add_argument("--users", type=int, default=10_000)
    args = parser.parse_args()
    os.environ.setdefault("ENVIRONMENT", "development")
    server_pg = TestPostgres()
    server_pg.init()
    server_pg.start()
    try:
        print(f"seeding {args.users:,} grouped users...", flush=True)
        url = seed(server_pg, args.users)
        reads, writes = requests_mix(url, args.users)
        port = free_port()
        server = start_server(url, port, app="application:app")
        try:
            pids = workers_of(server.pid)
            samples: list[dict[str, Any]] = []

            def sample(elapsed: float) -> None:
                samples.append({"t_s": round(elapsed), **{str(pid): rss_mb(pid) for pid in pids}})

            print(f"{args.rate:.0f} requests/s for {args.minutes:g} min against workers {pids}", flush=True)
            minutes, routes = asyncio.run(load(port, args.rate, args.minutes * 60, reads, writes, sample))
            sample(args.minutes * 60)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    finally:
        server_pg.destroy()
    after_warm_up = next((s for s in samples if s["t_s"] >= WARM_UP_S), samples[0])
    last = samples[-1]
    drift = {pid: round((last[pid] - after_warm_up[pid]) / after_warm_up[pid], 3) for pid in map(str, pids)}
    errors = sum(m["errors"] for m in minutes)
    report = {
        "rate": args.rate,
        "minutes": minutes,
        "routes": routes,
        "rss_samples": samples,
        "rss_drift": drift,
        "errors": errors,
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "soak.json").write_text(json.dumps(report, indent=2))
    print("\nminute  answered  p50 ms  p90 ms  p99 ms  max ms  errors")
    for m in minutes:
        print(
            f"{m['minute']:>6}{m['requests']:>10}{m['p50_ms']:>8}{m['p90_ms']:>8}{m['p99_ms']:>8}{m['max_ms']:>8}{m['errors']:>8}"
        )
    print(f"\n{'the whole run, by route':<36}  answered  p50 ms  p90 ms  p99 ms  max ms")
    for name, row in sorted(routes.items()):
        print(
            f"{name:<36}{row['requests']:>10}{row['p50_ms']:>8}{row['p90_ms']:>8}{row['p99_ms']:>8}{row['max_ms']:>8}"
        )
    print(
        "\nRSS MB per worker (every 10 s): "
        + "; ".join(
            f"{pid}: {after_warm_up[pid]} after warm-up -> {last[pid]} at the end ({drift[pid]:+.1%})"
            for pid in map(str, pids)
        )
    )
    print("\ntarget                                              measured  met")
    print(f"{'zero errors':<50}{errors:>10}  {'yes' if errors == 0 else 'no'}")
    worst = max(abs(v) for v in drift.values()) if drift else 0.0
    print(f"{'RSS per worker within 10 % of after warm-up':<50}{worst:>10.1%}  {'yes' if worst <= RSS_DRIFT else 'no'}")
    print(f"\nwritten to {OUT / 'soak.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
