"""Builds the OpenAPI 3.1 document from the routes' `RouteDoc`s and the pydantic schemas."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from starlette.routing import BaseRoute, Route

from web.routing import MAX_ID, RouteDoc
from web.schemas import ErrorOut, Genre

ERROR_TEXT = {
    400: "Malformed JSON or a bad token",
    401: "Not signed in",
    403: "Forbidden (including cross-site cookie requests)",
    404: "Not found, or not visible to the caller",
    409: "State conflict",
    413: "Body too large",
    415: "Body is not JSON",
    422: "Validation error",
    429: "Rate limited (see Retry-After)",
}
ID_SCHEMA = {"type": "integer", "minimum": 0, "maximum": MAX_ID}
PATH_PARAM = re.compile(r"{(\w+)(?::(\w+))?}")


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


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _error(status: int) -> dict[str, Any]:
    return {"description": ERROR_TEXT.get(status, "Error"), "content": {"application/json": {"schema": _ref(ErrorOut)}}}


def _operation(route: Route, method: str, doc: RouteDoc) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": doc.summary,
        "operationId": f"{route.name}_{method.lower()}",
        "tags": [doc.tag],
        "responses": {},
    }
    if doc.description:
        operation["description"] = doc.description
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": ID_SCHEMA if kind == "id" else {"type": "string"}}
        for name, kind in PATH_PARAM.findall(route.path)
    ]
    if doc.query is not None:
        schema = doc.query.model_json_schema()
        for name, prop in schema.get("properties", {}).items():
            parameters.append(
                {"name": name, "in": "query", "required": name in schema.get("required", []), "schema": prop}
            )
    if parameters:
        operation["parameters"] = parameters
    if doc.body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(doc.body)}}}
    success: dict[str, Any] = {"description": "Success"}
    if isinstance(doc.response, type) and issubclass(doc.response, BaseModel):
        success["content"] = {"application/json": {"schema": _ref(doc.response)}}
    elif doc.response is not None:
        success["content"] = {"application/json": {"schema": doc.response}}
    operation["responses"][str(doc.status)] = success
    errors = set(doc.errors)
    if doc.auth:
        errors |= {401}
        operation["security"] = [{"cookieAuth": []}, {"bearerAuth": []}]
    if doc.body is not None:
        errors |= {400, 413, 415, 422}
    if doc.query is not None:
        errors |= {422}
    for status in sorted(errors):
        operation["responses"][str(status)] = _error(status)
    return operation


def build_openapi(routes: list[BaseRoute]) -> dict[str, Any]:
    _, definitions = models_json_schema(
        [(model, "serialization") for model in _models(routes)], ref_template="#/components/schemas/{model}"
    )
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        doc = getattr(route, "doc", None)
        if not isinstance(route, Route) or doc is None:
            continue
        path = PATH_PARAM.sub(lambda match: "{" + match.group(1) + "}", route.path)
        for method in sorted(route.methods or ()):
            if method == "HEAD":
                continue
            paths.setdefault(path, {})[method.lower()] = _operation(route, method, doc)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "How's My Track? API",
            "version": "1.0.0",
            "description": "Peer feedback for unfinished tracks. Errors share one shape: "
            '`{"error": {"code", "message", "fields?"}}`.',
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {
                "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "JWT"},
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            },
        },
    }
