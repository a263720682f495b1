"""Operational routes: liveness, readiness, the OpenAPI document and the interactive docs."""

from __future__ import annotations

from pathlib import Path

import anyio
import anyio.to_thread
import swagger_ui
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from db.errors import Forbidden, NotAuthenticated, NotFound
from db.health import ReadinessProbe
from web.errors import error_response
from web.routing import RouteDoc, admin_gate, documented
from web.schemas import Status
from web.session import settings_of

SWAGGER_STATIC = Path(swagger_ui.__file__).parent / "static"

DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>How's My Track? API</title>
<link rel="stylesheet" href="/docs/static/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/static/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script></body></html>
"""
# validatorUrl: null keeps Swagger UI from calling its public validator service.
DOCS_INIT = """window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
  withCredentials: true, validatorUrl: null, presets: [SwaggerUIBundle.presets.apis]});
"""


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


READINESS_WAIT_SECONDS = 2.0
# Its own thread allowance: a probe never waits for the threads that requests use.
_probe_threads = anyio.CapacityLimiter(2)


async def readyz(request: Request) -> Response:
    probe: ReadinessProbe = request.app.state.readiness
    ready = False
    with anyio.move_on_after(READINESS_WAIT_SECONDS):
        ready = await anyio.to_thread.run_sync(probe.check, abandon_on_cancel=True, limiter=_probe_threads)
    if not ready:
        return error_response(
            503, "database_unavailable", "The database cannot be reached.", headers={"Retry-After": "5"}
        )
    return JSONResponse({"status": "ready"})


async def openapi_json(request: Request) -> Response:
    """In production the admin routes are described to admins only (anyone else, as for the routes
    themselves, learns nothing of them)."""
    if not settings_of(request).is_development:
        try:
            await admin_gate(request)
        except (NotFound, NotAuthenticated, Forbidden):
            return JSONResponse(request.app.state.public_openapi)
    return JSONResponse(request.app.state.openapi)


async def docs(request: Request) -> Response:
    return HTMLResponse(DOCS_PAGE)


async def docs_init(request: Request) -> Response:
    return Response(DOCS_INIT, media_type="application/javascript")


TAG = "operations"
routes = [
    documented(
        "/healthz",
        healthz,
        "GET",
        RouteDoc(
            "Liveness",
            TAG,
            response=Status,
            auth=False,
            database=False,
            operation_id="get_health",
            description='`200 {"status": "ok"}` while the process answers.',
        ),
    ),
    documented(
        "/readyz",
        readyz,
        "GET",
        RouteDoc(
            "Readiness",
            TAG,
            response=Status,
            auth=False,
            errors=("database_unavailable",),
            database=False,
            operation_id="get_readiness",
            description='`200 {"status": "ready"}` while the database answers, else `503`.',
        ),
    ),
    Route("/openapi.json", openapi_json, methods=["GET"]),
]
# Interactive docs: on by default in development, off in production unless DOCS_ENABLED=true.
docs_routes = [
    Route("/docs", docs, methods=["GET"]),
    Route("/docs/init.js", docs_init, methods=["GET"]),
    Mount("/docs/static", app=StaticFiles(directory=SWAGGER_STATIC), name="swagger-static"),
]
