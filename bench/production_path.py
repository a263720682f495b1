"""`python -m bench.production_path` (`make bench-production`): the production path against the
direct one, in one run, on this machine.

- direct: one uvicorn server with 2 workers, connected straight to PostgreSQL (as `make bench`);
- production: Caddy (HTTPS, `tls internal`) round-robin over 3 replicas of 1 worker each, which
  reach PostgreSQL through PgBouncer in transaction mode (no prepared statements, limits set per
  transaction), each replica with its mail sender and listeners as in production.

Both serve the same seeded data; wrk runs each route at concurrency 16. Prints throughput, p50 and
p99 for each path and the production path's share of the direct path's throughput (target: 0.8).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("ENVIRONMENT", "development")

import httpx

from bench.api_bench import run_wrk, seed, start_server, targets
from tests.pg import TestPgBouncer, TestPostgres, direct_url, free_port

ROUTES = ("GET /api/v1/me", "GET /api/v1/groups/{id}")
REPLICAS = 3


def start_caddy(folder: Path, https_port: int, upstreams: list[int]) -> subprocess.Popen[bytes]:
    caddyfile = folder / "Caddyfile"
    servers = " ".join(f"127.0.0.1:{port}" for port in upstreams)
    caddyfile.write_text(
        "{\n\tadmin off\n\tskip_install_trust\n\thttp_port " + str(free_port()) + "\n}\n"
        f"https://localhost:{https_port} {{\n\ttls internal\n\tencode zstd gzip\n"
        f"\treverse_proxy {servers} {{\n\t\tlb_policy round_robin\n\t\tflush_interval -1\n\t}}\n}}\n"
    )
    caddy = shutil.which("caddy")
    if not caddy:
        raise RuntimeError("caddy is missing: `make bench-production` installs Debian's package")
    env = {**os.environ, "XDG_DATA_HOME": str(folder / "data"), "XDG_CONFIG_HOME": str(folder / "config")}
    process = subprocess.Popen(
        [caddy, "run", "--config", str(caddyfile), "--adapter", "caddyfile"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"https://localhost:{https_port}/readyz", verify=False, timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("caddy did not start")


def _stop(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    process.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.production_path", description=__doc__)
    parser.add_argument("--users", type=int, default=4000)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args(argv)
    postgres = TestPostgres()
    postgres.init()
    postgres.start()
    bouncer = TestPgBouncer(postgres)
    folder = Path(tempfile.mkdtemp(prefix="howsmytrack-production-path-"))
    processes: list[subprocess.Popen[bytes]] = []
    report: dict[str, Any] = {"routes": {}}
    try:
        bouncer.start()
        print(f"  seeding {args.users:,} grouped users...", flush=True)
        url = seed(postgres, args.users)
        files = targets(url, args.users, folder)
        pooled = bouncer.url("bench_api")
        assert direct_url(pooled) == url
        direct_port = free_port()
        processes.append(start_server(url, direct_port))
        replica_ports = [free_port() for _ in range(REPLICAS)]
        for port in replica_ports:
            processes.append(start_server(pooled, port, workers=1, DIRECT_DATABASE_URL=url, DB_POOL_SIZE="10"))
        https_port = free_port()
        processes.append(start_caddy(folder, https_port, replica_ports))
        for route in ROUTES:
            direct = run_wrk(direct_port, files[route], args.seconds)
            production = run_wrk(0, files[route], args.seconds, base=f"https://localhost:{https_port}")
            share = round(production["rps"] / direct["rps"], 2) if direct["rps"] else None
            report["routes"][route] = {"direct": direct, "production": production, "share": share}
            print(f"  {route}: direct {direct} | production {production} | share {share}", flush=True)
    finally:
        for process in reversed(processes):
            _stop(process)
        bouncer.stop()
        postgres.destroy()
        shutil.rmtree(folder, ignore_errors=True)
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    (out / "production_path.json").write_text(json.dumps(report, indent=2))
    print("\nroute                      path        req/s     p50 ms   p99 ms   errors")
    for route, row in report["routes"].items():
        for path in ("direct", "production"):
            figures = row[path]
            print(
                f"{route:<26} {path:<10} {figures['rps']:>8} {figures['p50_ms']:>9} {figures['p99_ms']:>8} "
                f"{figures['errors']:>8}"
            )
        print(f"{'':<26} production / direct throughput: {row['share']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
