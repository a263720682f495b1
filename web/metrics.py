"""`/metrics` in Prometheus' text format (the `prometheus-client` package).

Per process, counted as requests go: requests by route template, method and status; their
durations by route; requests in flight; pooled connections in use and waits for one; open event
streams. With several uvicorn workers `python -m web.serve` points PROMETHEUS_MULTIPROC_DIR at a
fresh folder, and a scrape adds up every worker's figures (the library's multi-process mode).

Per process, as its checker last saw them: each read replica's state and lag.

Read from the database at each scrape (the same for every process, so whichever answers): the
outbox's backlog and its oldest message's age, and each job's last start, last success, duration
and counts (jobs run in the cron container; their runs are in `job_run`).

Only a caller with `Authorization: Bearer $METRICS_TOKEN` gets them; anyone else (everyone, when
METRICS_TOKEN is unset) gets what any unknown path answers (the client's page), with no metrics in it.
"""

from __future__ import annotations

import functools
import hmac
import os
import re
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Scope

from db import job_status, outbox
from db.connection import database, run_in_db
from db.read_routing import ReplicaSet, server_name
from db.replicas import ReplicaState
from web import client
from web.session import settings_of

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "unmatched"  # a path no route serves: one label, whatever was asked

REQUESTS = Counter("http_requests", "HTTP requests answered", ["route", "method", "status"])
DURATION = Histogram(
    "http_request_duration_seconds",
    "Time to answer, by route template",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
IN_FLIGHT = Gauge("http_requests_in_flight", "Requests being answered", multiprocess_mode="livesum")
POOL_IN_USE = Gauge("db_pool_connections_in_use", "Pooled connections handed out", multiprocess_mode="livesum")
POOL_WAITS = Counter("db_pool_waits", "Times a unit of work found no free pooled connection and waited")
STREAMS = Gauge("event_streams_open", "Live notification streams open", multiprocess_mode="livesum")


_CONVERTER = re.compile(r"\{(\w+):[^}]*\}")


@functools.lru_cache(maxsize=512)
def _template(path: str) -> str:
    """`/api/v1/groups/{group_id:id}` → `/api/v1/groups/{group_id}` (the contract's spelling)."""
    return _CONVERTER.sub(r"{\1}", path)


def route_of(scope: Scope) -> str:
    route = scope.get("route")
    return _template(route.path) if isinstance(route, Route) else UNMATCHED


class RequestMetrics:
    """What the request middleware records around each request."""

    _pool_waits_seen = 0

    @staticmethod
    def started() -> None:
        IN_FLIGHT.inc()

    @classmethod
    def finished(cls, scope: Scope, status: int, seconds: float) -> None:
        IN_FLIGHT.dec()
        route = route_of(scope)
        REQUESTS.labels(route, scope["method"], str(status)).inc()
        DURATION.labels(route).observe(seconds)
        pool = database.obj
        if pool is not None and hasattr(pool, "in_use"):
            POOL_IN_USE.set(pool.in_use)
            waits = pool.waits
            if waits > cls._pool_waits_seen:
                POOL_WAITS.inc(waits - cls._pool_waits_seen)
                cls._pool_waits_seen = waits


class DatabaseFigures(Collector):
    """The outbox's backlog and the jobs' last runs, read at scrape time (`figures` from the database)."""

    def __init__(self, figures: dict[str, Any], now: float) -> None:
        self.figures = figures
        self.now = now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        backlog, oldest = self.figures["outbox"]
        yield GaugeMetricFamily("email_outbox_backlog", "Emails waiting to be sent", value=backlog)
        yield GaugeMetricFamily(
            "email_outbox_oldest_age_seconds",
            "Age of the oldest email waiting (0: none waits)",
            value=max(self.now - oldest, 0.0) if oldest is not None else 0.0,
        )
        families = {
            "last_start": GaugeMetricFamily(
                "job_last_start_timestamp_seconds", "When the job last started", labels=["job"]
            ),
            "last_success": GaugeMetricFamily(
                "job_last_success_timestamp_seconds", "When the job last finished ok", labels=["job"]
            ),
            "duration": GaugeMetricFamily("job_last_duration_seconds", "How long its last run took", labels=["job"]),
        }
        rows = GaugeMetricFamily("job_last_rows", "What its last finished run counted", labels=["job", "count"])
        for job in self.figures["jobs"]:
            for key, family in families.items():
                if job[key] is not None:
                    family.add_metric([job["job"]], job[key])
            for name, value in job["counts"].items():
                rows.add_metric([job["job"], name], value)
        yield from families.values()
        yield rows


class ReplicaFigures(Collector):
    """Each read replica as this process's checker last saw it (db/read_routing.py)."""

    def __init__(self, states: list[ReplicaState]) -> None:
        self.states = states

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("db_replica_up", "1 while the replica may serve reads", labels=["replica"])
        seconds = GaugeMetricFamily("db_replica_lag_seconds", "How far its replay is behind", labels=["replica"])
        size = GaugeMetricFamily(
            "db_replica_lag_bytes", "WAL the primary wrote that it has not replayed", labels=["replica"]
        )
        for state in self.states:
            name = server_name(state.url)
            up.add_metric([name], 1.0 if state.up else 0.0)
            if state.lag_seconds is not None and state.lag_bytes is not None:
                seconds.add_metric([name], state.lag_seconds)
                size.add_metric([name], state.lag_bytes)
        yield from (up, seconds, size)


def _read_figures() -> dict[str, Any]:
    backlog, oldest = outbox.backlog()
    return {
        "outbox": (backlog, oldest.timestamp() if oldest is not None else None),
        "jobs": job_status.last_runs(),
    }


def _registry(figures: dict[str, Any], now: float, replicas: ReplicaSet | None = None) -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROCESS_DIR):
        prometheus_multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        for metric in (REQUESTS, DURATION, IN_FLIGHT, POOL_IN_USE, POOL_WAITS, STREAMS):
            registry.register(metric)
    registry.register(DatabaseFigures(figures, now))
    if replicas is not None:
        registry.register(ReplicaFigures(list(replicas.states.values())))
    return registry


def _authorised(request: Request) -> bool:
    token = settings_of(request).metrics_token
    offered = request.headers.get("authorization", "")
    return bool(token) and hmac.compare_digest(offered.encode(), f"Bearer {token}".encode())


async def metrics(request: Request) -> Response:
    if not _authorised(request):
        return await client.index(request)  # what any unknown path answers
    STREAMS.set(request.app.state.notification_hub.open_streams)
    figures = await run_in_db(_read_figures)
    body = generate_latest(_registry(figures, settings_of(request).clock(), request.app.state.replicas))
    return Response(body, media_type="text/plain; version=0.0.4; charset=utf-8", headers={"Cache-Control": "no-store"})


routes = [Route("/metrics", metrics, methods=["GET"])]
