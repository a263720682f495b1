"""Every route that needs a session refuses anonymous callers, the public ones answer them, and
every admin route answers anonymous callers and plain users as if it did not exist (404) while
an admin gets its answer."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from db.connection import database
from db.models import Report
from settings import Settings
from tests.builders import bearer, make_group, make_user
from web.app import all_routes
from web.routing import RouteDoc

SAMPLE_IDS = {"request_id": "1", "group_id": "1", "response_id": "1", "user_id": "1", "report_id": "1"}


def _operations(auth: bool, admin: bool = False) -> list[tuple[str, str]]:
    found = []
    for route in all_routes():
        doc: RouteDoc | None = getattr(route, "doc", None)
        if doc is not None and doc.auth == auth and doc.admin == admin:
            path = route.path.replace(":id", "")  # type: ignore[attr-defined]
            for method in sorted(route.methods - {"HEAD"}):  # type: ignore[attr-defined]
                found.append((method, path.format(**SAMPLE_IDS)))
    return found


ADMIN_OPERATIONS = _operations(auth=True, admin=True)
ADMIN_BODIES = {
    "ban": {"reason": "spam"},
    "unban": {"reason": "appeal upheld"},
    "resolve": {"action": "dismiss", "note": "no rule broken"},
    "restore": {"note": "hidden by mistake"},
}


def _body(method: str, path: str) -> dict[str, object] | None:
    if method != "POST":
        return None
    return ADMIN_BODIES[path.rsplit("/", 1)[-1]]


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
        "/api/v1/aspects",
        "/api/v1/media-info",
        "/healthz",
        "/readyz",
    }


def test_every_admin_route_lives_under_admin() -> None:
    assert len(ADMIN_OPERATIONS) == 21
    assert all(path.startswith("/api/v1/admin/") for _, path in ADMIN_OPERATIONS)
    assert all(path.startswith("/api/v1/admin/") is False for _, path in _operations(auth=True))


@pytest.fixture
def sample(settings: Settings) -> dict[str, dict[str, str]]:
    """User 1 (the one to ban), group 1 with a report 1 on its feedback, an admin and a plain user."""
    fixture = make_group(3)
    target, owner = fixture.users[0], fixture.users[1]
    response = fixture.response(target, owner)
    with database.connection_context():
        Report.create(reporter=owner.id, response=response.id, writer=target.id, reason="spam")
    admin = make_user(is_admin=True)
    user = make_user()
    return {"admin": bearer(settings, admin), "user": bearer(settings, user)}


@pytest.mark.parametrize(("method", "path"), ADMIN_OPERATIONS)
def test_admin_routes_are_not_found_for_anonymous_callers_and_users(
    anon: TestClient, sample: dict[str, dict[str, str]], method: str, path: str
) -> None:
    for headers in ({}, sample["user"]):
        response = anon.request(method, path, json=_body(method, path), headers=headers)
        assert response.status_code == 404, (headers, response.text)
        assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(("method", "path"), ADMIN_OPERATIONS)
def test_admin_routes_answer_admins(
    anon: TestClient, sample: dict[str, dict[str, str]], method: str, path: str
) -> None:
    if path.endswith("/unban"):
        anon.post("/api/v1/admin/users/1/ban", json={"reason": "spam"}, headers=sample["admin"])
    if path.endswith("/restore"):
        hide = {"action": "hide", "note": "rude"}
        anon.post(path.replace("/restore", "/resolve"), json=hide, headers=sample["admin"])
    response = anon.request(method, path, json=_body(method, path), headers=sample["admin"])
    assert response.status_code == 200, response.text
    if path.endswith(".csv"):
        assert response.headers["content-type"].startswith("text/csv")
        assert response.text.count("\r\n") >= 1


def test_an_admin_route_does_not_validate_a_non_admins_request(
    anon: TestClient, sample: dict[str, dict[str, str]]
) -> None:
    """Checking the query or body first would tell a non-admin that the route exists."""
    for headers in ({}, sample["user"]):
        bad_query = anon.get("/api/v1/admin/stats", params={"from": "nonsense"}, headers=headers)
        bad_body = anon.post("/api/v1/admin/users/1/ban", json={"nonsense": True}, headers=headers)
        assert bad_query.status_code == bad_body.status_code == 404
    admin_bad_query = anon.get("/api/v1/admin/stats", params={"from": "nonsense"}, headers=sample["admin"])
    assert admin_bad_query.status_code == 422
