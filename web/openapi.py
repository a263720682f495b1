"""Builds the OpenAPI 3.1 document from the routes' `RouteDoc`s and the pydantic schemas.

Every operation lists each status it can answer with and, for errors, the exact `code` values
(an enum per status, from `web/error_codes.py`) with an example of each.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from starlette.routing import BaseRoute, Route

from web.error_codes import ERROR_CODES, STATUS_TEXT
from web.routing import MAX_ID, RouteDoc
from web.schemas import NAMED, NAMED_ENUMS, ErrorOut, Genre, Status

EVENT_STREAM = "text/event-stream"
CSV = "text/csv"
ID_SCHEMA = {"type": "integer", "minimum": 0, "maximum": MAX_ID}
PATH_PARAM = re.compile(r"{(\w+)(?::(\w+))?}")
TAGS = [
    {"name": "auth", "description": "Sign-up, sign-in, sessions and password reset."},
    {"name": "account", "description": "The signed-in user's own account."},
    {"name": "feedback requests", "description": "Tracks waiting for a group, and the link and genre helpers."},
    {"name": "groups", "description": "The groups the caller belongs to."},
    {"name": "feedback", "description": "Writing and rating feedback, and the reply threads on it."},
    {"name": "notifications", "description": "The inbox of what happened to the caller, and its live stream."},
    {"name": "operations", "description": "Liveness and readiness for load balancers and orchestrators."},
    {
        "name": "admin",
        "description": "Operators' routes, for admins only: anyone else (signed in or not) gets `404`. Admins see "
        "identities here (emails, who wrote what) that members never see. Every action is in the audit log.",
    },
]
RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer", "minimum": 1}}
}
ETAG = {
    "ETag": {
        "description": "Send it back in `If-None-Match` to get a 304 while nothing changed.",
        "schema": {"type": "string"},
    }
}
DESCRIPTION = """Peer feedback for unfinished tracks.

Authentication: the `JWT` cookie (set by register, login and refresh; browsers) or
`Authorization: Bearer <token>` (from `POST /api/v1/auth/token`; other clients). A cookie request
that changes something must carry an `Origin` (or `Referer`) of the service's public address or of
`CORS_ORIGINS`, else it gets `403 forbidden`.

Errors share one shape, `{"error": {"code", "message", "fields?"}}` (`fields` on validation errors
only); each operation lists the codes it can answer with. A method a path does not take gets
`405 method_not_allowed` with an `Allow` header; an unknown path `404 not_found`.

Read-your-writes: where the service reads from database replicas, an answer to a request that
wrote carries `X-Wal-Position`; send it back as the `X-Wal-Position` request header and later reads
see that write (browsers need nothing: a `wal_position` cookie does the same). Without it, a read may
be up to a few seconds behind another client's writes. A value that is not a position is ignored.
"""


def _models(routes: list[BaseRoute]) -> list[type[BaseModel]]:
    found: list[type[BaseModel]] = [ErrorOut, Genre]
    for route in routes:
        doc: RouteDoc | None = getattr(route, "doc", None)
        if doc is None:
            continue
        for model in (doc.body, doc.response):
            if isinstance(model, type) and issubclass(model, BaseModel) and model not in found:
                found.append(model)
    return found


def _ref(model: type[BaseModel] | str) -> dict[str, str]:
    name = model if isinstance(model, str) else model.__name__
    return {"$ref": f"#/components/schemas/{name}"}


def operation_id(route: Route, doc: RouteDoc) -> str:
    """What a generated client's method is called: the handler's name in camelCase."""
    first, *rest = (doc.operation_id or route.name).split("_")
    return first + "".join(word.capitalize() for word in rest)


def _error_response(status: int, codes: list[str]) -> dict[str, Any]:
    """Every error answer is the one shared `ErrorOut` component (generated clients make one error
    type, not one per operation and status); the codes this answer can carry are its examples."""
    schema = _ref(ErrorOut)
    examples = {}
    for code in codes:
        error: dict[str, Any] = {"code": code, "message": ERROR_CODES[code][1]}
        if code == "validation_error":
            error["fields"] = {"email": "is not a valid email address"}
        examples[code] = {"summary": code, "value": {"error": error}}
    response: dict[str, Any] = {
        "description": STATUS_TEXT.get(status, "Error") + ": " + ", ".join(f"`{code}`" for code in codes),
        "content": {"application/json": {"schema": schema, "examples": examples}},
    }
    if status in (429, 503):
        response["headers"] = RETRY_AFTER
    return response


def _success(doc: RouteDoc) -> dict[str, Any]:
    success: dict[str, Any] = {"description": "No content" if doc.status == 204 else "Success"}
    if doc.media_type == EVENT_STREAM:
        success["content"] = {EVENT_STREAM: {"schema": {"type": "string", "description": "Server-sent events."}}}
    elif doc.media_type == CSV:
        success["content"] = {CSV: {"schema": {"type": "string", "description": "CSV with a header line."}}}
    elif isinstance(doc.response, type) and issubclass(doc.response, BaseModel):
        success["content"] = {"application/json": {"schema": _ref(doc.response)}}
    elif doc.response is not None:
        success["content"] = {"application/json": {"schema": doc.response}}
    if doc.etag:
        success["headers"] = ETAG
    return success


def _parameters(route: Route, doc: RouteDoc) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "description": "A row id.",
            "schema": ID_SCHEMA if kind == "id" else {"type": "string"},
        }
        for name, kind in PATH_PARAM.findall(route.path)
    ]
    if doc.query is not None:
        schema = doc.query.model_json_schema()
        for name, prop in schema.get("properties", {}).items():
            description = prop.pop("description", name.replace("_", " ").capitalize() + ".")
            prop.pop("title", None)
            parameters.append(
                {
                    "name": name,
                    "in": "query",
                    "required": name in schema.get("required", []),
                    "description": description,
                    "schema": prop,
                }
            )
    if doc.media_type == EVENT_STREAM:
        parameters.append(
            {
                "name": "Last-Event-ID",
                "in": "header",
                "required": False,
                "description": "The id of the last event received: replay from after it.",
                "schema": {"type": "string", "pattern": "^[0-9]{1,10}$"},
            }
        )
    if doc.etag:
        parameters.append(
            {
                "name": "If-None-Match",
                "in": "header",
                "required": False,
                "description": "The `ETag` of the copy the client holds.",
                "schema": {"type": "string"},
            }
        )
    return parameters


def _operation(route: Route, method: str, doc: RouteDoc) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": doc.summary,
        "description": doc.description or doc.summary + ".",
        "operationId": operation_id(route, doc),
        "tags": [doc.tag],
    }
    parameters = _parameters(route, doc)
    if parameters:
        operation["parameters"] = parameters
    if doc.body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(doc.body)}}}
    if not doc.auth:
        operation["security"] = []
    responses: dict[str, Any] = {str(doc.status): _success(doc)}
    if doc.etag:
        responses["304"] = {"description": STATUS_TEXT[304], "headers": ETAG}
    for status, codes in doc.error_codes(method, route.path).items():
        responses[str(status)] = _error_response(status, codes)
    operation["responses"] = responses
    return operation


def _resolve_named(node: Any) -> Any:
    """Replace each named-enum marker (see web.schemas._named) with a reference to its component."""
    if isinstance(node, dict):
        resolved = {key: _resolve_named(value) for key, value in node.items() if key != NAMED}
        if NAMED in node:
            resolved = {"$ref": f"#/components/schemas/{node[NAMED]}", **resolved}
        return resolved
    if isinstance(node, list):
        return [_resolve_named(item) for item in node]
    return node


def documented_routes(routes: list[BaseRoute]) -> list[tuple[Route, str, RouteDoc]]:
    """(route, method, doc) for every documented operation."""
    found: list[tuple[Route, str, RouteDoc]] = []
    for route in routes:
        doc = getattr(route, "doc", None)
        if isinstance(route, Route) and doc is not None:
            found.extend((route, method, doc) for method in sorted(route.methods or ()) if method != "HEAD")
    return found


def openapi_path(route: Route) -> str:
    return PATH_PARAM.sub(lambda match: "{" + match.group(1) + "}", route.path)


def build_openapi(routes: list[BaseRoute]) -> dict[str, Any]:
    models: list[type[BaseModel]] = [*_models(routes), Status]
    bodies = {doc.body for _, _, doc in documented_routes(routes)}
    # Request bodies as clients send them (defaults make a field optional), answers as they come back.
    _, definitions = models_json_schema(
        [(model, "validation" if model in bodies else "serialization") for model in models],
        ref_template="#/components/schemas/{model}",
    )
    paths: dict[str, dict[str, Any]] = {}
    for route, method, doc in documented_routes(routes):
        paths.setdefault(openapi_path(route), {})[method.lower()] = _operation(route, method, doc)
    document: dict[str, Any] = _resolve_named(
        {
            "openapi": "3.1.0",
            "info": {
                "title": "How's My Track? API",
                "version": "1.0.0",
                "description": DESCRIPTION,
                "contact": {"name": "How's My Track?", "url": "https://howsmytrack.example"},
                "license": {"name": "Proprietary", "url": "https://howsmytrack.example/terms"},
            },
            # Relative: "Try it out" calls whichever host and port served the document.
            "servers": [{"url": "/", "description": "The server that serves this document"}],
            "tags": TAGS,
            "security": [{"cookieAuth": []}, {"bearerAuth": []}],
            "paths": paths,
            "components": {
                "schemas": {**definitions.get("$defs", {}), **NAMED_ENUMS},
                "securitySchemes": {
                    "cookieAuth": {
                        "type": "apiKey",
                        "in": "cookie",
                        "name": "JWT",
                        "description": "The session cookie that register, login and refresh set.",
                    },
                    "bearerAuth": {
                        "type": "http",
                        "scheme": "bearer",
                        "bearerFormat": "JWT",
                        "description": "A token from `POST /api/v1/auth/token`.",
                    },
                },
            },
        }
    )
    return document


def public_document(document: dict[str, Any]) -> dict[str, Any]:
    """`document` without the admin routes, their tag, and the schemas only they use: what a
    production server tells anyone who is not an admin."""
    paths = {
        path: operations
        for path, operations in document["paths"].items()
        if not any("admin" in operation.get("tags", ()) for operation in operations.values())
    }
    schemas = document["components"]["schemas"]
    used: set[str] = set()
    pending = [paths]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str) and reference.startswith(SCHEMA_REF):
                name = reference.removeprefix(SCHEMA_REF)
                if name not in used:
                    used.add(name)
                    pending.append(schemas[name])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return document | {
        "tags": [tag for tag in document["tags"] if tag["name"] != "admin"],
        "paths": paths,
        "components": document["components"] | {"schemas": {k: v for k, v in schemas.items() if k in used}},
    }


SCHEMA_REF = "#/components/schemas/"
