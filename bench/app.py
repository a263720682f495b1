"""The service's app plus a ceiling route: same middleware stack, constant body, no database."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from application import create_app

CEILING_BODY = {"user": {"id": 1, "email": "ceiling@bench.example", "rating": 4.2, "notifications": {"total": 0}}}


async def ceiling(request: Request) -> Response:
    return JSONResponse(CEILING_BODY)


app = create_app()
app.router.routes.append(Route("/api/v1/bench/ceiling", ceiling, methods=["GET"]))
