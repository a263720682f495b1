"""Every route that needs a session refuses anonymous callers, and the public ones answer them."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from web.app import all_routes
from web.routing import RouteDoc

SAMPLE_IDS = {"request_id": "1", "group_id": "1", "response_id": "1"}


def _operations(auth: bool) -> list[tuple[str, str]]:
    found = []
    for route in all_routes():
        doc: RouteDoc | None = getattr(route, "doc", None)
        if doc is not None and doc.auth == auth:
            path = route.path.replace(":id", "")  # type: ignore[attr-defined]
            for method in sorted(route.methods - {"HEAD"}):  # type: ignore[attr-defined]
                found.append((method, path.format(**SAMPLE_IDS)))
    return found


@pytest.mark.parametrize(("method", "path"), _operations(auth=True))
def test_routes_that_need_a_session_refuse_anonymous_callers(anon: TestClient, method: str, path: str) -> None:
    response = anon.request(method, path, json={} if method in ("POST", "PUT", "PATCH") else None)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_public_routes_are_the_expected_ones() -> None:
    assert {path for _, path in _operations(auth=False)} == {
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/token",
        "/api/v1/auth/password-reset",
        "/api/v1/auth/password-reset/confirm",
        "/api/v1/auth/verify-email",
        "/api/v1/genres",
        "/api/v1/media-info",
        "/healthz",
        "/readyz",
    }
