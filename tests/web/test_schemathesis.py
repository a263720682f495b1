"""Schemathesis against the app, on SQLite and PostgreSQL: requests generated from /openapi.json
(valid ones and invalid ones) must get documented answers, never a 500, with bodies and headers
that match the description, and invalid data must be refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import ignored_auth, positive_data_acceptance
from starlette.testclient import TestClient

from settings import Settings
from tests.builders import make_user
from tests.web.conftest import ORIGIN
from web.app import all_routes
from web.openapi import build_openapi
from web.tokens import issue_token

# The live stream never ends by itself, so a generated request to it would never answer; its
# parameters and refusals are tested in tests/web/test_notifications.py.
SCHEMA = schemathesis.openapi.from_dict(build_openapi(all_routes())).exclude(path="/api/v1/notifications/stream")
BUSINESS_RULES = {
    "POST /api/v1/feedback-requests",
    "PATCH /api/v1/feedback-requests/{request_id}",
    "PUT /api/v1/me/password",
    "POST /api/v1/auth/password-reset/confirm",
    "POST /api/v1/auth/password-reset",
    "POST /api/v1/auth/register",
    "PATCH /api/v1/me",
    "GET /api/v1/me/recommendations",
    "POST /api/v1/auth/verify-email",
    "DELETE /api/v1/me",
    # A mark whose range ends before it starts.
    "PUT /api/v1/responses/{response_id}",
    "POST /api/v1/feedback-requests/{request_id}/extra-feedback",
    # `from` after `to`, or a range past 366 days.
    "GET /api/v1/admin/stats",
    "GET /api/v1/admin/stats.csv",
}


@pytest.fixture
def as_member(client: TestClient, settings: Settings) -> Iterator[TestClient]:
    """A signed-in caller with a bearer token (so generated cookies and origins do not matter); an
    admin, so that the admin routes answer too (anyone else gets their 404)."""
    token, _ = issue_token(settings, make_user("member@example.com", is_admin=True).id, 0)
    client.headers["Authorization"] = f"Bearer {token}"
    yield client


@SCHEMA.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_every_generated_request_gets_a_documented_answer(case: schemathesis.Case, as_member: TestClient) -> None:
    kwargs = case.as_transport_kwargs(base_url=ORIGIN)
    # Generated header values may be any text; on the wire a header is bytes.
    kwargs["headers"] = {**as_member.headers, **{name: value.encode() for name, value in kwargs["headers"].items()}}
    as_member.cookies.clear()
    for name, value in kwargs.pop("cookies", {}).items():  # generated cookies (the JWT one, when tried)
        as_member.cookies.set(name, value)
    if isinstance(kwargs.get("data"), bytes | str):
        kwargs["content"] = kwargs.pop("data")  # raw bodies (the negative cases) go as content
    response = as_member.request(**kwargs)
    # The caller's token comes from the fixture, not from schemathesis, which therefore cannot judge
    # whether a request's own (generated) credentials were ignored; tests/web/test_authorisation.py and
    # test_error_matrix.py check every route's refusals instead.
    # Some rules cannot be stated in a schema, so valid-looking data may still be refused with a
    # documented code: a link of no accepted form (invalid_media_url), a wrong current password,
    # a reset token that was never issued (invalid_token), an address on a domain that takes no mail
    # (.test, .invalid), a common password, a future or impossible day (2026-02-30).
    excluded = [ignored_auth] + ([positive_data_acceptance] if case.operation.label in BUSINESS_RULES else [])
    case.validate_response(response, excluded_checks=excluded)
