"""`python -m web.serve`: the one way the service is started (Makefile, Dockerfile, compose).

uvicorn believes `X-Forwarded-For` / `X-Forwarded-Proto` from 127.0.0.1 unless told otherwise,
which would let any local caller choose its own address for the per-address rate limits. Here
`TRUSTED_PROXIES` is the one proxy-trust setting: it becomes uvicorn's forwarded-allow-ips, and
when it is empty uvicorn reads no proxy headers at all. (Starting uvicorn by hand? Pass
`--no-proxy-headers`, or `--forwarded-allow-ips` with the same addresses.)
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import uvicorn

from settings import Settings, load_settings


def proxy_options(settings: Settings) -> dict[str, Any]:
    if not settings.trusted_proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": list(settings.trusted_proxies)}


METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"


def prepare_metrics_folder(workers: int) -> None:
    """Several workers add up their metrics through files in one folder (prometheus-client's
    multi-process mode): a fresh folder each start, so a restart's counts begin again. The variable
    must be set before any worker imports the library."""
    folder = os.environ.get(METRICS_DIR)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        Path(folder).mkdir(parents=True, exist_ok=True)
    elif workers > 1:
        os.environ[METRICS_DIR] = tempfile.mkdtemp(prefix="howsmytrack-metrics-")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m web.serve", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("WEB_CONCURRENCY") or 1),
        help="worker processes (default: WEB_CONCURRENCY, else 1)",
    )
    args = parser.parse_args(argv)
    settings = load_settings()
    prepare_metrics_folder(args.workers)
    uvicorn.run(
        "application:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,
        # Open notification streams end as soon as a stop begins (web/live.py); this bounds the wait
        # for anything else.
        timeout_graceful_shutdown=10,
        **proxy_options(settings),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
