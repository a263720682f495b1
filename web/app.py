"""Assembles the Starlette application: routes, error handlers, middleware, database."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from db.connection import init_database, set_db_threads, set_read_router
from db.health import ReadinessProbe
from db.read_routing import ReplicaSet
from error_reporting import start_error_reporting
from settings import Settings
from web import (
    admin,
    auth,
    client,
    feedback_requests,
    groups,
    me,
    metrics,
    notifications,
    ops,
    recommendations,
    reports,
    responses,
)
from web.errors import EXCEPTION_HANDLERS
from web.live import NotificationHub
from web.mail_sender import MailSender
from web.middleware import CorsMiddleware, RequestLogMiddleware, SecurityHeadersMiddleware
from web.openapi import build_openapi, public_document
from web.read_position import HEADER as WAL_POSITION
from web.read_position import ReadPositionMiddleware
from web.routing import one_route_per_path


def all_routes(docs: bool = True) -> list[BaseRoute]:
    return [
        *ops.routes,
        *(ops.docs_routes if docs else []),
        *auth.routes,
        *me.routes,
        *feedback_requests.routes,
        *groups.routes,
        *responses.routes,
        *notifications.routes,
        *recommendations.routes,
        *reports.routes,
        *admin.routes,
    ]


_documents: dict[tuple[int, ...], tuple[dict[str, Any], dict[str, Any]]] = {}


def _openapi_for(routes: list[BaseRoute]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The document for this set of routes and its public form (without the admin routes), built
    once per process (route tables are module-level)."""
    key = tuple(id(route) for route in routes)
    if key not in _documents:
        document = build_openapi(routes)
        _documents[key] = (document, public_document(document))
    return _documents[key]


def settle_the_heap() -> None:
    """Once the app is up: what exists now (modules, routes, the OpenAPI document) lives as long as
    the process, so the collector stops scanning it (`gc.freeze`), and young collections run less
    often. Full collections otherwise walk that whole heap and stall every request in flight: the
    tail of the latency under load. Once per process (a test run starts many apps)."""
    global _heap_settled
    if _heap_settled:
        return
    _heap_settled = True
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, 20, 20)


GC_YOUNG_THRESHOLD = 10_000
_heap_settled = False


def _replicas(settings: Settings) -> ReplicaSet | None:
    """The read replicas, when configured on a PostgreSQL primary (an unusable URL is logged and skipped)."""
    if not settings.database_replica_urls:
        return None
    if not settings.database_url.startswith(("postgresql://", "postgres://")):
        logging.getLogger("howsmytrack.replicas").error("read replicas need a PostgreSQL primary: ignored")
        return None
    return ReplicaSet(
        settings.direct_url,
        settings.database_replica_urls,
        max_lag_s=settings.replica_max_lag_s,
        pool_size=settings.db_pool_size,
        statement_timeout_ms=settings.db_statement_timeout_ms,
        idle_timeout_ms=settings.db_idle_in_transaction_timeout_ms,
    )


def build_app(settings: Settings, http_transport: httpx.AsyncBaseTransport | None = None) -> Starlette:
    """The app; `http_transport` replaces the network for outbound calls (tests use a local fake)."""
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    init_database(
        settings.database_url,
        settings.db_pool_size,
        settings.db_pool_timeout_seconds,
        settings.db_statement_timeout_ms,
        settings.db_idle_in_transaction_timeout_ms,
        behind_pooler=settings.database_is_pooled,
    )
    set_db_threads(settings.db_threads)
    replicas = _replicas(settings)
    set_read_router(replicas)
    routes = [*all_routes(docs=settings.docs_enabled), *metrics.routes]
    reporting = start_error_reporting(settings)
    middleware = [
        Middleware(RequestLogMiddleware, report_errors=reporting),
        Middleware(SecurityHeadersMiddleware, production=not settings.is_development),
        Middleware(
            CorsMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_credentials=True,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID", WAL_POSITION],
            expose_headers=[WAL_POSITION],
        ),
    ]
    if replicas is not None:
        middleware.append(Middleware(ReadPositionMiddleware, secure=not settings.is_development))
    http_client = httpx.AsyncClient(transport=http_transport, follow_redirects=False)
    hub = NotificationHub(
        settings.direct_url,
        settings.max_streams_per_user,
        settings.max_streams,
        settings.stream_heartbeat_seconds,
        settings.stream_check_seconds,
    )

    mail_sender = MailSender(settings)
    readiness = ReadinessProbe(settings.database_url)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        settle_the_heap()
        mail_sender.begin()
        if replicas is not None:
            replicas.start()
        yield
        if replicas is not None:
            await anyio.to_thread.run_sync(replicas.stop)
        hub.stop()
        await anyio.to_thread.run_sync(mail_sender.stop)
        readiness.close()
        await http_client.aclose()

    app = Starlette(
        routes=[*one_route_per_path(routes), *client.routes()],
        middleware=middleware,
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.http_client = http_client
    app.state.notification_hub = hub
    app.state.mail_sender = mail_sender
    app.state.readiness = readiness
    app.state.replicas = replicas
    app.state.openapi, app.state.public_openapi = _openapi_for(routes)
    return app
