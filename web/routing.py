"""`api()` builds a Starlette route under the API base path and records what the OpenAPI document says of it."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from db.errors import Forbidden, NotAuthenticated, NotFound
from db.read_routing import allow_replica_reads
from web.error_codes import BODY, DATABASE, ERROR_CODES, SESSION, status_of
from web.session import UNSAFE_METHODS, check_admin, claims_of

API_PREFIX = "/api/v1"
MAX_ID = 2**31 - 1


class IdConvertor(Convertor[int]):
    """`{name:id}`: a row id in a path. At most ten digits match, so no path can make Python parse a
    huge integer; a longer one matches no route (404), a ten-digit one past the id range is not found."""

    regex = "[0-9]{1,10}"

    def convert(self, value: str) -> int:
        return int(value)

    def to_string(self, value: int) -> str:
        return str(int(value))


register_url_convertor("id", IdConvertor())


@dataclass(frozen=True)
class RouteDoc:
    """What the OpenAPI document says of a route. `errors`: the error codes this route answers
    with besides those every route of its kind does (see `error_codes`)."""

    summary: str
    tag: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | Any = None
    status: int = 200
    auth: bool = True
    errors: tuple[str, ...] = ()
    description: str = ""
    database: bool = True
    etag: bool = False
    operation_id: str = ""
    media_type: str = "application/json"
    # Admins only: anyone else, signed in or not, is told the route does not exist (404).
    admin: bool = False
    # A reading route whose reads must see the primary's latest rows (a live stream's replay
    # follows the primary's NOTIFY): never served by a read replica.
    primary_reads: bool = False

    def error_codes(self, method: str, path: str) -> dict[int, list[str]]:
        """Every error code the route can answer with, by status."""
        codes = set(self.errors)
        if self.admin:
            codes.add("not_found")
        elif self.auth:
            codes |= set(SESSION)
            if method in UNSAFE_METHODS:
                codes.add("forbidden")  # a cookie request from a foreign origin (CSRF)
        if self.body is not None:
            codes |= set(BODY)
        if self.query is not None:
            codes.add("validation_error")
        if ":id}" in path:
            codes.add("not_found")
        if self.database:
            codes |= set(DATABASE)
        by_status: dict[int, list[str]] = {}
        for code in sorted(codes, key=list(ERROR_CODES).index):
            by_status.setdefault(status_of(code), []).append(code)
        return dict(sorted(by_status.items()))


def api(path: str, endpoint: Callable[..., Awaitable[Response]], method: str, doc: RouteDoc) -> Route:
    return documented(
        API_PREFIX + path, _guarded(endpoint, doc, method == "GET" and not doc.primary_reads), method, doc
    )


def documented(path: str, endpoint: Callable[..., Awaitable[Response]], method: str, doc: RouteDoc) -> Route:
    route = Route(path, endpoint, methods=[method], name=endpoint.__name__)
    route.doc = doc  # type: ignore[attr-defined]
    return route


def _guarded(
    endpoint: Callable[..., Awaitable[Response]], doc: RouteDoc, replica_reads: bool
) -> Callable[[Request], Awaitable[Response]]:
    """Checks every route makes before its handler runs.

    A route that needs a session checks the token (signature, expiry, CSRF) first, so anonymous
    callers learn nothing from validation errors; the database check follows in the handler's
    unit of work. An id no row can have (past the columns' 32-bit range) is simply not found. An
    admin route answers anything short of an admin's valid session (with CSRF) as not found. A
    route that only reads may be served by a read replica (db/read_routing.py).
    """

    @functools.wraps(endpoint)
    async def checked(request: Request) -> Response:
        if replica_reads:
            allow_replica_reads()
        if doc.admin:
            await admin_gate(request)
        elif doc.auth:
            request.state.claims = claims_of(request)
        if any(isinstance(value, int) and value > MAX_ID for value in request.path_params.values()):
            raise NotFound()
        return await endpoint(request)

    return checked


async def admin_gate(request: Request) -> None:
    """Anything short of an admin's valid session (with CSRF) is told the route does not exist."""
    try:
        request.state.claims = claims_of(request)
    except (NotAuthenticated, Forbidden):
        raise NotFound() from None
    await check_admin(request)


ALL_METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]


def _is_admin(route: Route) -> bool:
    doc = getattr(route, "doc", None)
    return bool(doc and doc.admin)


def one_route_per_path(routes: list[BaseRoute]) -> list[BaseRoute]:
    """Routes that share a path become one route dispatching on the method, so that a 405 for any
    other method lists every method the path takes in `Allow` (Starlette answers from the first
    route whose path matches). An admin path takes every method and answers one it does not serve
    with 404 to anyone but an admin, so a wrong method tells nobody else that the route exists."""
    by_path: dict[str, list[Route]] = {}
    merged: list[BaseRoute] = []
    for route in routes:
        if isinstance(route, Route) and route.path.startswith(API_PREFIX):
            if route.path not in by_path:
                by_path[route.path] = []
                merged.append(route)  # a placeholder, replaced below, keeps the table's order
            by_path[route.path].append(route)
        else:
            merged.append(route)
    for path, group in by_path.items():
        admin = any(_is_admin(route) for route in group)
        if len(group) == 1 and not admin:
            continue
        handlers = {method: route.endpoint for route in group for method in route.methods or ()}

        async def dispatch(request: Request, handlers: dict[str, Any] = handlers, admin: bool = admin) -> Response:
            handler = handlers.get(request.method)
            if handler is None:
                if admin:
                    await admin_gate(request)
                raise HTTPException(405, headers={"Allow": ", ".join(sorted(handlers))})
            return await handler(request)

        methods = ALL_METHODS if admin else sorted(handlers)
        combined = Route(path, dispatch, methods=methods, name=group[0].name)
        merged[merged.index(group[0])] = combined
    return merged


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers=headers)


def conditional_json(request: Request, data: Any) -> Response:
    """A JSON answer with an `ETag`; `304 Not Modified` when the client's `If-None-Match` has it.

    The tag is a hash of the body, so polling clients save the transfer (and, in a browser, the
    re-render) while nothing changed. `no-cache`: caches may keep it but must ask every time."""
    response = JSONResponse(data)
    etag = 'W/"' + hashlib.sha256(bytes(response.body)).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    sent = {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}
    if etag in sent or "*" in sent:
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return response


def no_content() -> Response:
    return Response(status_code=204)
