"""Every answer the suite receives from a documented operation is checked against /openapi.json:
its status must be documented for that operation, and its JSON body (error codes included) must
match the documented schema. `CONFORMANCE.observed` collects what was seen, for the report."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from starlette.testclient import TestClient

from web.app import all_routes
from web.openapi import build_openapi

BASE = "urn:howsmytrack:openapi"


@dataclass
class Conformance:
    document: dict[str, Any]
    operations: list[tuple[str, re.Pattern[str], dict[str, Any]]] = field(default_factory=list)
    observed: set[tuple[str, str, str]] = field(default_factory=set)  # (operationId, status, code)

    def __post_init__(self) -> None:
        anchored = json.loads(json.dumps(self.document).replace('"$ref": "#/', f'"$ref": "{BASE}#/'))
        self.registry: Registry[Any] = Registry().with_resource(BASE, Resource(anchored, DRAFT202012))
        for path, methods in anchored["paths"].items():
            pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"[^/]+", path) + "$")
            for method, operation in methods.items():
                self.operations.append((method.upper(), pattern, operation))

    def operation(self, method: str, path: str) -> dict[str, Any] | None:
        method = "GET" if method == "HEAD" else method
        for candidate_method, pattern, operation in self.operations:
            if candidate_method == method and pattern.match(path):
                return operation
        return None

    def check(self, response: httpx.Response) -> None:
        request = response.request
        operation = self.operation(request.method, request.url.path)
        if operation is None:
            return  # not a documented operation: docs pages, unknown paths, test-only routes
        name = operation["operationId"]
        status = str(response.status_code)
        documented = operation["responses"].get(status)
        assert documented is not None, f"{name} answered {status}, which its description does not list"
        content = documented.get("content", {}).get("application/json")
        body = response.json() if response.content and content else None
        if content is not None:
            errors = sorted(
                Draft202012Validator(content["schema"], registry=self.registry).iter_errors(body),
                key=lambda error: error.path,
            )
            assert not errors, (
                f"{name} {status} does not match its schema: {errors[0].message} at {list(errors[0].path)}"
            )
        for header in documented.get("headers", {}):
            if header in ("Retry-After",):
                assert header.lower() in response.headers, f"{name} {status} lacks {header}"
        code = body.get("error", {}).get("code", "") if isinstance(body, dict) else ""
        self.observed.add((name, status, code))


CONFORMANCE = Conformance(build_openapi(all_routes()))


@contextmanager
def validating_test_clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every TestClient call in the block has its answer checked."""
    plain = TestClient.request

    def request(self: TestClient, *args: Any, **kwargs: Any) -> httpx.Response:
        response = plain(self, *args, **kwargs)
        CONFORMANCE.check(response)
        return response

    monkeypatch.setattr(TestClient, "request", request)
    yield
