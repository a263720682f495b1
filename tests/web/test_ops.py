from __future__ import annotations

import json
import logging

import pytest
from openapi_spec_validator import validate
from starlette.testclient import TestClient

from settings import ConfigError, Settings
from tests.builders import PASSWORD, make_user


def test_health_and_readiness(anon: TestClient) -> None:
    assert anon.get("/healthz").json() == {"status": "ok"}
    assert anon.get("/readyz").json() == {"status": "ready"}


def test_openapi_document_is_valid_and_describes_every_route(anon: TestClient) -> None:
    document = anon.get("/openapi.json").json()
    validate(document)
    operations = {(path, method) for path, methods in document["paths"].items() for method in methods}
    expected = {
        ("/api/v1/auth/register", "post"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/token", "post"),
        ("/api/v1/auth/refresh", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/auth/password-reset", "post"),
        ("/api/v1/auth/password-reset/confirm", "post"),
        ("/api/v1/auth/verify-email", "post"),
        ("/api/v1/me", "delete"),
        ("/api/v1/me/export", "get"),
        ("/api/v1/me/verification-email", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/me", "patch"),
        ("/api/v1/me/password", "put"),
        ("/api/v1/genres", "get"),
        ("/api/v1/media-info", "get"),
        ("/api/v1/feedback-requests", "post"),
        ("/api/v1/feedback-requests", "get"),
        ("/api/v1/feedback-requests/{request_id}", "get"),
        ("/api/v1/feedback-requests/{request_id}", "patch"),
        ("/api/v1/feedback-requests/{request_id}", "delete"),
        ("/api/v1/groups", "get"),
        ("/api/v1/groups/{group_id}", "get"),
        ("/api/v1/responses/{response_id}", "put"),
        ("/api/v1/responses/{response_id}/rating", "put"),
        ("/api/v1/responses/{response_id}/replies", "get"),
        ("/api/v1/responses/{response_id}/replies", "post"),
        ("/api/v1/replies/read", "post"),
        ("/api/v1/notifications", "get"),
        ("/api/v1/notifications/read", "post"),
        ("/api/v1/notifications/stream", "get"),
        ("/api/v1/me/recommendations", "get"),
        ("/api/v1/feedback-requests/{request_id}/extra-feedback", "post"),
        ("/api/v1/admin/users", "get"),
        ("/api/v1/admin/users.csv", "get"),
        ("/api/v1/admin/users/{user_id}", "get"),
        ("/api/v1/admin/users/{user_id}/ban", "post"),
        ("/api/v1/admin/users/{user_id}/unban", "post"),
        ("/api/v1/admin/requests", "get"),
        ("/api/v1/admin/requests.csv", "get"),
        ("/api/v1/admin/groups", "get"),
        ("/api/v1/admin/groups.csv", "get"),
        ("/api/v1/admin/groups/{group_id}", "get"),
        ("/api/v1/admin/job-runs", "get"),
        ("/api/v1/admin/job-runs.csv", "get"),
        ("/api/v1/admin/reports", "get"),
        ("/api/v1/admin/reports.csv", "get"),
        ("/api/v1/admin/reports/{report_id}", "get"),
        ("/api/v1/admin/reports/{report_id}/resolve", "post"),
        ("/api/v1/admin/reports/{report_id}/restore", "post"),
        ("/api/v1/admin/audit-log", "get"),
        ("/api/v1/admin/audit-log.csv", "get"),
        ("/api/v1/admin/stats", "get"),
        ("/api/v1/admin/stats.csv", "get"),
        ("/api/v1/reports", "post"),
        ("/api/v1/aspects", "get"),
        ("/api/v1/me/progress", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
    }
    assert operations == expected
    create = document["paths"]["/api/v1/feedback-requests"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("FeedbackRequestCreate")
    assert "201" in create["responses"] and "409" in create["responses"]


def test_docs_are_served_without_a_cdn(anon: TestClient) -> None:
    page = anon.get("/docs")
    assert page.status_code == 200 and "swagger-ui-bundle.js" in page.text
    assert "http://" not in page.text and "https://" not in page.text
    assert anon.get("/docs/static/swagger-ui-bundle.js").status_code == 200
    assert anon.get("/docs/static/swagger-ui.css").status_code == 200
    init = anon.get("/docs/init.js").text
    assert "/openapi.json" in init and "validatorUrl: null" in init


def test_unknown_routes_and_methods_use_the_error_shape(anon: TestClient) -> None:
    missing = anon.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    wrong_method = anon.delete("/api/v1/genres")
    assert wrong_method.status_code == 405 and wrong_method.json()["error"]["code"] == "method_not_allowed"
    bad_id = anon.get("/api/v1/groups/abc")
    assert bad_id.status_code == 404


def test_every_response_carries_a_request_id(anon: TestClient) -> None:
    first, second = (anon.get("/healthz").headers["x-request-id"] for _ in range(2))
    assert len(first) == len(second) == 32 and first != second
    assert anon.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"
    assert anon.get("/healthz", headers={"X-Request-ID": "bad id\x01"}).headers["x-request-id"] != "bad id\x01"


def test_request_logs_carry_no_passwords_or_tokens(anon: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    make_user("ada@example.com")
    with caplog.at_level(logging.DEBUG):
        token = anon.post("/api/v1/auth/token", json={"email": "ada@example.com", "password": PASSWORD}).json()[
            "access_token"
        ]
        anon.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        anon.get("/api/v1/media-info", params={"url": "https://soundcloud.com/a/b?secret=1"})
    text = caplog.text
    assert '"path": "/api/v1/me"' in text and '"status": 200' in text
    assert PASSWORD not in text and token not in text and "secret=1" not in text


@pytest.mark.parametrize(
    ("env", "reason"),
    [
        (
            {"ENVIRONMENT": "production", "DATABASE_URL": "postgresql://db/x"},
            r"SECRET_KEYS \(or SECRET_KEY\) is required",
        ),
        (
            {"ENVIRONMENT": "production", "SECRET_KEY": "k" * 40, "DATABASE_URL": "postgresql://db/x"},
            "WEB_URL must be an https:// address",
        ),
        ({"ENVIRONMENT": "production", "SECRET_KEY": "short", "DATABASE_URL": "postgresql://db/x"}, "at least 32"),
        ({"ENVIRONMENT": "production", "SECRET_KEY": "k" * 40}, "postgresql://"),
        ({"ENVIRONMENT": "staging"}, "ENVIRONMENT: Input should be .development. or .production."),
        ({"AUTH_RATE_PER_ADDRESS": "many"}, "AUTH_RATE_PER_ADDRESS: Input should be a valid integer"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
    ],
)
def test_unsafe_configuration_is_refused(env: dict[str, str], reason: str) -> None:
    with pytest.raises(ConfigError, match=reason):
        Settings.from_env(env)


def test_configuration_is_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "ENVIRONMENT": "production",
            "SECRET_KEY": "k" * 40,
            "DATABASE_URL": "postgresql://u:p@db:5432/app",
            "CORS_ORIGINS": "https://app.example, https://www.app.example/",
            "TRUSTED_PROXIES": "10.0.0.1",
            "AUTH_RATE_PER_ADDRESS": "5",
            "AUTH_FAILURES_PER_ACCOUNT": "3",
            "WEB_URL": "https://app.example/",
            "SMTP_URL": "smtp://mail:25",
        }
    )
    assert settings.cors_origins == ("https://app.example", "https://www.app.example")
    assert settings.trusted_proxies == ("10.0.0.1",)
    assert (settings.auth_rate_per_address, settings.auth_failures_per_account) == (5, 3)
    assert settings.web_url == "https://app.example" and not settings.is_development
    development = Settings.from_env({})
    assert development.is_development and development.database_url == "sqlite:///howsmytrack.sqlite3"


def test_production_process_refuses_to_start_with_a_one_line_reason(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import application; application.app"],
        env={"ENVIRONMENT": "production", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=str(__import__("pathlib").Path(__file__).parents[2]),
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "configuration error: SECRET_KEYS (or SECRET_KEY) is required when ENVIRONMENT=production"
    )


def test_forwarded_for_is_believed_only_from_trusted_proxies(db: str, settings: Settings) -> None:

    from web.app import build_app

    app = build_app(settings.with_changes(auth_rate_per_address=2, trusted_proxies=("testclient",)))
    with TestClient(app) as client:
        body = {"email": "x@example.com", "password": "whatever1"}
        for address in ("203.0.113.1", "203.0.113.1"):
            assert client.post("/api/v1/auth/login", json=body, headers={"X-Forwarded-For": address}).status_code == 401
        assert (
            client.post("/api/v1/auth/login", json=body, headers={"X-Forwarded-For": "203.0.113.1"}).status_code == 429
        )
        assert (
            client.post("/api/v1/auth/login", json=body, headers={"X-Forwarded-For": "203.0.113.2"}).status_code == 401
        )


def test_ids_past_the_id_range_are_not_found(anon: TestClient, settings) -> None:  # type: ignore[no-untyped-def]
    from tests.builders import bearer

    headers = bearer(settings, make_user())
    for path in ("/api/v1/groups/99999999999999999999", "/api/v1/feedback-requests/2147483648"):
        response = anon.get(path, headers=headers)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    huge = anon.post("/api/v1/replies/read", json={"reply_ids": [2**70]}, headers=headers)
    assert huge.status_code == 422


def test_nul_characters_are_refused_not_stored(anon: TestClient, settings) -> None:  # type: ignore[no-untyped-def]
    from tests.builders import bearer

    headers = bearer(settings, make_user())
    response = anon.post("/api/v1/feedback-requests", json={"feedback_prompt": "a\u0000b"}, headers=headers)
    assert response.status_code == 422 and "NUL" in response.json()["error"]["fields"]["body"]
    login = anon.post("/api/v1/auth/login", json={"email": "a\u0000@example.com", "password": "whatever1"})
    assert login.status_code == 422


def test_deeply_nested_json_is_a_400_not_a_500(anon: TestClient) -> None:
    for depth in (400, 5000, 100_000):
        body = "[" * depth + "]" * depth
        response = anon.post(
            "/api/v1/auth/password-reset/confirm", content=body, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400, depth
        assert response.json()["error"]["code"] == "too_deeply_nested"
    nested_in_string = json.dumps({"token": "[" * 150, "password": "a fine passphrase"})
    response = anon.post(
        "/api/v1/auth/password-reset/confirm", content=nested_in_string, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_token"


def test_a_path_id_of_thousands_of_digits_is_a_404(anon: TestClient, settings) -> None:  # type: ignore[no-untyped-def]
    from tests.builders import bearer

    headers = bearer(settings, make_user())
    for digits in (11, 4301, 10_000):
        response = anon.get("/api/v1/groups/" + "1" * digits, headers=headers)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert anon.get("/api/v1/groups/" + "1" * 5000).status_code == 404


def test_tokens_with_out_of_range_claims_are_refused_not_a_500(anon: TestClient, settings) -> None:  # type: ignore[no-untyped-def]
    import time as time_module

    from jose import jwt

    from web.tokens import AUDIENCE

    now = int(time_module.time())
    base = {"jti": "abc", "ver": 0, "iat": now, "exp": now + 60, "orig_iat": now, "iss": "howsmytrack", "aud": AUDIENCE}
    for claims in (
        {"sub": "1" * 30},
        {"sub": "0000000000001"},
        {"sub": "1", "ver": 2**40},
        {"sub": "1", "jti": "x" * 500},
        {"sub": "1", "exp": 10**15},
    ):
        token = jwt.encode(base | claims, settings.secret_key, algorithm="HS256")
        response = anon.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, claims
        logout = anon.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
        assert logout.status_code == 401, claims


def test_a_method_a_path_does_not_take_is_a_405_listing_every_method_it_does(anon: TestClient) -> None:
    for path, allowed in (("/api/v1/me/password", {"PUT"}), ("/api/v1/feedback-requests/1", None)):
        response = anon.request("OPTIONS", path)
        assert response.status_code == 405 and response.json()["error"]["code"] == "method_not_allowed"
        methods = {method.strip() for method in response.headers["Allow"].split(",")}
        assert methods == (allowed or {"GET", "HEAD", "PATCH", "DELETE"})


def test_every_answer_carries_the_security_headers(anon: TestClient) -> None:
    for path in ("/api/v1/genres", "/api/v1/me", "/healthz", "/docs", "/api/v1/nowhere"):
        headers = anon.get(path).headers
        assert headers["X-Content-Type-Options"] == "nosniff" and headers["X-Frame-Options"] == "DENY"
        assert (
            headers["Referrer-Policy"] == "same-origin"
            and "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        )
        assert "Strict-Transport-Security" not in headers  # development
    assert anon.get("/api/v1/me").headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in anon.get("/docs").headers["Content-Security-Policy"]
    assert anon.get("/docs/init.js").headers["Content-Security-Policy"].startswith("default-src 'self'")


def test_production_adds_hsts_and_turns_docs_and_the_demo_account_off(db: str, settings: Settings) -> None:

    from db.demo import DEMO_EMAIL
    from web.app import build_app

    production = settings.with_changes(environment="production", docs_enabled=False, demo_enabled=False)
    make_user(DEMO_EMAIL)
    with TestClient(build_app(production)) as client:
        assert client.get("/docs").status_code == 404
        assert client.get("/healthz").headers["Strict-Transport-Security"].startswith("max-age=")
        login = client.post("/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": PASSWORD})
        assert login.status_code == 401
    with TestClient(build_app(production.with_changes(docs_enabled=True, demo_enabled=True))) as client:
        assert client.get("/docs").status_code == 200
        assert client.post("/api/v1/auth/login", json={"email": DEMO_EMAIL, "password": PASSWORD}).status_code == 200


def test_production_defaults_keep_docs_and_demo_off() -> None:
    env = {
        "ENVIRONMENT": "production",
        "SECRET_KEY": "s" * 40,
        "DATABASE_URL": "postgresql://u@h/d",
        "WEB_URL": "https://howsmytrack.example",
    }
    settings = Settings.from_env(env)
    assert not settings.docs_enabled and not settings.demo_enabled
    enabled = Settings.from_env({**env, "DOCS_ENABLED": "true", "DEMO_ENABLED": "yes"})
    assert enabled.docs_enabled and enabled.demo_enabled
    assert Settings.from_env({}).docs_enabled and Settings.from_env({}).demo_enabled


def test_me_and_group_reads_answer_304_while_nothing_changed(anon: TestClient, settings) -> None:  # type: ignore[no-untyped-def]
    from tests.builders import bearer, make_group, submit

    group = make_group(n=3)
    me = group.users[0]
    headers = bearer(settings, me)
    urls = ("/api/v1/me", f"/api/v1/groups/{group.group.id}")
    etags = {}
    for url in urls:
        first = anon.get(url, headers=headers)
        etags[url] = first.headers["ETag"]
        assert first.status_code == 200 and first.headers["Cache-Control"] == "private, no-cache"
        again = anon.get(url, headers={**headers, "If-None-Match": etags[url]})
        assert again.status_code == 304 and again.content == b"" and again.headers["ETag"] == etags[url]
    submit(group.to_review(me)[0])  # changes the owed count in /me and the item in the group
    for url in urls:
        changed = anon.get(url, headers={**headers, "If-None-Match": etags[url]})
        assert changed.status_code == 200 and changed.headers["ETag"] != etags[url]


def test_a_refused_cors_preflight_answers_in_the_error_shape(db: str, settings: Settings) -> None:

    from web.app import build_app

    with TestClient(build_app(settings.with_changes(cors_origins=("https://app.example",)))) as client:
        refused = client.options(
            "/api/v1/me", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "PATCH"}
        )
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "origin_not_allowed"
        allowed = client.options(
            "/api/v1/me", headers={"Origin": "https://app.example", "Access-Control-Request-Method": "PATCH"}
        )
        assert allowed.status_code == 200


def test_the_api_document_names_a_relative_server_and_one_error_component(anon: TestClient) -> None:
    """ "Try it out" calls whichever host served the document; generated clients get one error type."""
    document = anon.get("/openapi.json").json()
    assert [server["url"] for server in document["servers"]] == ["/"]
    errors = [
        response["content"]["application/json"]["schema"]
        for methods in document["paths"].values()
        for operation in methods.values()
        for status, response in operation["responses"].items()
        if int(status) >= 400
    ]
    assert errors and all(schema == {"$ref": "#/components/schemas/ErrorOut"} for schema in errors)
