"""`api()` builds a Starlette route under the API base path and records what the OpenAPI document says of it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

API_PREFIX = "/api/v1"


@dataclass(frozen=True)
class RouteDoc:
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | Any = None
    status: int = 200
    auth: bool = True
    errors: tuple[int, ...] = field(default_factory=tuple)
    description: str = ""


def api(path: str, endpoint: Callable[..., Any], method: str, doc: RouteDoc) -> Route:
    route = Route(API_PREFIX + path, endpoint, methods=[method], name=endpoint.__name__)
    route.doc = doc  # type: ignore[attr-defined]
    return route


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers=headers)


def no_content() -> Response:
    return Response(status_code=204)
