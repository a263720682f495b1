"""The errors every operation of a kind can answer with, tried on every such operation: a spent
token, a cross-site cookie write, each kind of bad body, a missing id, and the database failing in
each documented way. With the conformance check (tests/api_conformance.py) this pins each
operation's documented codes to what it really answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg2
import pytest
from starlette.testclient import TestClient

from db.connection import database
from settings import Settings
from tests.builders import PASSWORD, bearer, feedback_text, make_user
from tests.pg import connection_held_elsewhere, free_port
from tests.web.conftest import ORIGIN
from web.app import all_routes, build_app
from web.openapi import documented_routes, openapi_path
from web.tokens import issue_token

MISSING_ID = "2147483000"
VALID_BODIES: dict[str, dict[str, Any]] = {
    "register": {"email": "new@example.com", "password": "a fine passphrase"},
    "login": {"email": "ada@example.com", "password": PASSWORD},
    "createToken": {"email": "ada@example.com", "password": PASSWORD},
    "startPasswordReset": {"email": "ada@example.com"},
    "confirmPasswordReset": {"token": "not-a-real-token", "password": "a fine passphrase"},
    "updateMe": {"send_reminder_emails": False},
    "changePassword": {"current_password": PASSWORD, "new_password": "another fine phrase"},
    "createFeedbackRequest": {},
    "updateFeedbackRequest": {},
    "submitResponse": {"feedback": feedback_text("Lovely low end."), "allow_replies": True},
    "rateResponse": {"rating": 3},
    "createReply": {"text": "Thanks!"},
    "markRepliesRead": {"reply_ids": [1]},
    "markNotificationsRead": {"all": True},
    "verifyEmail": {"token": "not-a-real-token"},
    "deleteMe": {"password": PASSWORD},
    "writeExtraFeedback": {"feedback": feedback_text("Lovely low end."), "allow_replies": True},
    "createReport": {"response_id": 1, "reason": "spam"},
    "banUser": {"reason": "spam"},
    "unbanUser": {"reason": "appeal upheld"},
    "resolveReport": {"action": "dismiss", "note": "no rule broken"},
    "restoreReportedItem": {"note": "hidden by mistake"},
}


def _operations() -> list[tuple[str, str, str, Any]]:
    from web.openapi import operation_id

    found = []
    for route, method, doc in documented_routes(all_routes()):
        path = openapi_path(route)
        found.append((operation_id(route, doc), method, path.replace("{", "").replace("}", ""), doc))
    return found


OPERATIONS = _operations()


def _url(path: str) -> str:
    for name in ("request_id", "group_id", "response_id", "user_id", "report_id"):
        path = path.replace(name, MISSING_ID)
    return path


def _ids(cases: list[tuple[str, str, str, Any]]) -> list[str]:
    return [name for name, *_ in cases]


def _call(client: TestClient, name: str, method: str, path: str, **kwargs: Any) -> Any:
    if "json" not in kwargs and "content" not in kwargs and name in VALID_BODIES:
        kwargs["json"] = VALID_BODIES[name]
    return client.request(method, _url(path), **kwargs)


def _code(response: Any) -> str:
    return str(response.json()["error"]["code"])


AUTHENTICATED = [case for case in OPERATIONS if case[3].auth and not case[3].admin]
# Admin routes answer everything short of an admin's valid session as not found (tests/web/test_authorisation.py).
ADMIN = [case for case in OPERATIONS if case[3].admin]
COOKIE_WRITES = [case for case in AUTHENTICATED if case[1] in ("POST", "PUT", "PATCH", "DELETE")]
WITH_BODY = [case for case in OPERATIONS if case[3].body is not None]
WITH_ID = [case for case in OPERATIONS if "_id" in case[2]]
USING_DATABASE = [case for case in OPERATIONS if case[3].database]


@pytest.fixture
def signed_in(client: TestClient, settings: Settings) -> TestClient:
    """A browser session: the cookie a sign-in would set (without paying for argon2 each time)."""
    token, _ = issue_token(settings, make_user("ada@example.com", is_admin=True).id, 0)
    client.cookies.set("JWT", token)
    return client


@pytest.mark.parametrize(("name", "method", "path", "doc"), AUTHENTICATED, ids=_ids(AUTHENTICATED))
def test_a_spent_token_is_refused(
    anon: TestClient, settings: Settings, name: str, method: str, path: str, doc: Any
) -> None:
    headers = bearer(settings, make_user())
    assert anon.post("/api/v1/auth/logout", headers=headers).status_code == 204
    response = _call(anon, name, method, path, headers=headers)
    assert response.status_code == 401 and _code(response) == "token_revoked"


@pytest.mark.parametrize(("name", "method", "path", "doc"), ADMIN, ids=_ids(ADMIN))
def test_an_admin_route_answers_a_spent_admin_token_as_not_found(
    anon: TestClient, settings: Settings, name: str, method: str, path: str, doc: Any
) -> None:
    headers = bearer(settings, make_user(is_admin=True))
    assert anon.post("/api/v1/auth/logout", headers=headers).status_code == 204
    response = _call(anon, name, method, path, headers=headers)
    assert response.status_code == 404 and _code(response) == "not_found"


ADMIN_WRITES = [case for case in ADMIN if case[1] == "POST"]


@pytest.mark.parametrize(("name", "method", "path", "doc"), ADMIN_WRITES, ids=_ids(ADMIN_WRITES))
def test_an_admin_cookie_write_from_a_foreign_origin_is_refused_as_not_found(
    signed_in: TestClient, name: str, method: str, path: str, doc: Any
) -> None:
    response = _call(signed_in, name, method, path, headers={"Origin": "https://evil.example"})
    assert response.status_code == 404 and _code(response) == "not_found"


@pytest.mark.parametrize(("name", "method", "path", "doc"), COOKIE_WRITES, ids=_ids(COOKIE_WRITES))
def test_a_cookie_write_from_a_foreign_origin_is_refused(
    signed_in: TestClient, name: str, method: str, path: str, doc: Any
) -> None:
    response = _call(signed_in, name, method, path, headers={"Origin": "https://evil.example"})
    assert response.status_code == 403 and _code(response) == "forbidden"


BAD_BODIES = [
    ("malformed_json", 400, {"content": b"{not json", "headers": {"Content-Type": "application/json"}}),
    ("too_deeply_nested", 400, {"content": b"[" * 100 + b"]" * 100, "headers": {"Content-Type": "application/json"}}),
    ("payload_too_large", 413, {"content": b" " * 1_000_001, "headers": {"Content-Type": "application/json"}}),
    ("unsupported_media_type", 415, {"content": b"email=x", "headers": {"Content-Type": "text/plain"}}),
    ("validation_error", 422, {"json": ["not", "an", "object"]}),
]


@pytest.mark.parametrize(("name", "method", "path", "doc"), WITH_BODY, ids=_ids(WITH_BODY))
@pytest.mark.parametrize(("code", "status", "body"), BAD_BODIES, ids=[code for code, _, _ in BAD_BODIES])
def test_each_kind_of_bad_body_gets_its_code(
    signed_in: TestClient, name: str, method: str, path: str, doc: Any, code: str, status: int, body: dict[str, Any]
) -> None:
    response = _call(signed_in, name, method, path, **body)
    assert response.status_code == status and _code(response) == code


@pytest.mark.parametrize(("name", "method", "path", "doc"), WITH_ID, ids=_ids(WITH_ID))
def test_a_missing_id_is_not_found(signed_in: TestClient, name: str, method: str, path: str, doc: Any) -> None:
    response = _call(signed_in, name, method, path)
    assert response.status_code == 404 and _code(response) == "not_found"


@pytest.fixture
def user_headers(pg_settings: Settings) -> dict[str, str]:
    return {**bearer(pg_settings, make_user("ada@example.com", is_admin=True)), "Origin": ORIGIN}


@pytest.mark.parametrize(("name", "method", "path", "doc"), USING_DATABASE, ids=_ids(USING_DATABASE))
def test_every_connection_busy_is_a_503(
    pg_settings: Settings, user_headers: dict[str, str], name: str, method: str, path: str, doc: Any
) -> None:
    settings = pg_settings.with_changes(db_pool_size=1, db_pool_timeout_seconds=0)
    with TestClient(build_app(settings)) as client, connection_held_elsewhere(database):
        response = _call(client, name, method, path, headers=user_headers)
    assert response.status_code == 503 and _code(response) == "database_busy"


@pytest.mark.parametrize(("name", "method", "path", "doc"), USING_DATABASE, ids=_ids(USING_DATABASE))
def test_an_unreachable_database_is_a_503(
    pg_settings: Settings, user_headers: dict[str, str], name: str, method: str, path: str, doc: Any
) -> None:
    gone = pg_settings.with_changes(database_url=f"postgresql://postgres@127.0.0.1:{free_port()}/gone")
    with TestClient(build_app(gone)) as client:
        response = _call(client, name, method, path, headers=user_headers)
    assert response.status_code == 503 and _code(response) == "database_unavailable"


@pytest.fixture
def tables_locked(pg_settings: Settings) -> Iterator[None]:
    holder = psycopg2.connect(pg_settings.database_url)
    holder.cursor().execute(
        'LOCK TABLE "user", revoked_token, rate_limit_counter, password_reset, feedback_request, feedback_group, '
        "feedback_response, reply, email_verification, notification, report, audit_log, daily_stats, job_run "
        "IN ACCESS EXCLUSIVE MODE"
    )
    yield
    holder.rollback()
    holder.close()


@pytest.mark.parametrize(("name", "method", "path", "doc"), USING_DATABASE, ids=_ids(USING_DATABASE))
def test_a_statement_past_the_timeout_is_a_503(
    pg_settings: Settings,
    user_headers: dict[str, str],
    tables_locked: None,
    name: str,
    method: str,
    path: str,
    doc: Any,
) -> None:
    # Directly connected: every statement has the session's limit (through the pooler a read outside
    # a transaction has the database role's instead; tests/web/test_database_failures.py).
    direct = pg_settings.with_changes(database_url=pg_settings.direct_url, direct_database_url="")
    with TestClient(build_app(direct.with_changes(db_statement_timeout_ms=100))) as client:
        response = _call(client, name, method, path, headers=user_headers)
    assert response.status_code == 503 and _code(response) == "database_timeout"
