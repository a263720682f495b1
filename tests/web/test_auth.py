from __future__ import annotations

import base64
import datetime as dt
import email
import json
import time

import pytest
from jose import jwt
from starlette.testclient import TestClient

from db.accounts import start_password_reset
from db.connection import database
from db.models import EmailOutbox, PasswordReset, utcnow
from settings import Settings
from tests.builders import PASSWORD, bearer, make_user
from tests.conftest import fixed_clock
from tests.smtp import SmtpSink
from tests.waiting import eventually
from web.app import build_app
from web.tokens import AUDIENCE, issue_token

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"


def register(client: TestClient, email: str = "Ada@Example.com", password: str = "a fine passphrase") -> dict:
    response = client.post(REGISTER, json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    return response.json()["user"]


def test_register_returns_user_and_sets_http_only_cookie(client: TestClient) -> None:
    response = client.post(REGISTER, json={"email": "ada@example.com", "password": "a fine passphrase"})
    assert response.status_code == 201
    user = response.json()["user"]
    assert user["email"] == "ada@example.com"
    assert user["rating"] is None and user["is_admin"] is False and user["send_reminder_emails"] is True
    assert user["created_at"].endswith("Z")
    assert user["notifications"] == {
        "incomplete_responses": 0,
        "unread_replies": 0,
        "total": 0,
        "unread_notifications": 0,
    }
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("JWT=") and "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert client.get("/api/v1/me").json()["user"]["id"] == user["id"]


def test_register_refuses_a_taken_email_whatever_its_case(client: TestClient) -> None:
    register(client, "ada@example.com")
    response = client.post(REGISTER, json={"email": "ADA@example.COM", "password": "another passphrase"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "email_taken"


@pytest.mark.parametrize(
    ("password", "reason"),
    [("short1", "at least 8"), ("1234567890", "digits"), ("password123", "common"), ("ada@example.com", "email")],
)
def test_register_refuses_weak_passwords(client: TestClient, password: str, reason: str) -> None:
    response = client.post(REGISTER, json={"email": "ada@example.com", "password": password})
    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "validation_error"
    assert reason in body["fields"]["password"]


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@b.com", "a b@example.com", ""])
def test_register_refuses_invalid_emails(client: TestClient, email: str) -> None:
    response = client.post(REGISTER, json={"email": email, "password": "a fine passphrase"})
    assert response.status_code == 422
    assert "email" in response.json()["error"]["fields"]


def test_register_ignores_an_invalid_token(client: TestClient) -> None:
    client.cookies.set("JWT", "garbage")
    response = client.post(
        REGISTER,
        json={"email": "ada@example.com", "password": "a fine passphrase"},
        headers={"Authorization": "Bearer nonsense"},
    )
    assert response.status_code == 201


def test_login_matches_email_case_insensitively(client: TestClient, anon: TestClient) -> None:
    make_user("ada@example.com")
    response = anon.post(LOGIN, json={"email": "  ADA@example.com", "password": PASSWORD})
    assert response.status_code == 200
    assert response.json()["user"]["email"] == "ada@example.com"
    assert "JWT=" in response.headers["set-cookie"]


def test_login_gives_one_answer_for_wrong_password_and_unknown_email(anon: TestClient) -> None:
    make_user("ada@example.com")
    wrong = anon.post(LOGIN, json={"email": "ada@example.com", "password": "not the password"})
    unknown = anon.post(LOGIN, json={"email": "bob@example.com", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"]["code"] == "invalid_credentials"


class FakeClock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_login_attempts_are_limited_per_address(db: str, settings: Settings) -> None:
    clock = FakeClock(1_800_000_010.0)  # 10 s into a one-minute window
    app = build_app(settings.with_changes(auth_rate_per_address=3, clock=clock))
    make_user("ada@example.com")
    with TestClient(app) as client:
        codes = [
            client.post(LOGIN, json={"email": "ada@example.com", "password": "wrong one"}).status_code for _ in range(4)
        ]
        assert codes == [401, 401, 401, 429]
        limited = client.post(LOGIN, json={"email": "ada@example.com", "password": PASSWORD})
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "rate_limited"
        assert limited.headers["Retry-After"] == "51"
        clock.now += 50  # the next window
        assert client.post(LOGIN, json={"email": "ada@example.com", "password": PASSWORD}).status_code == 200


def test_failed_logins_lock_the_account_for_a_while(db: str, settings: Settings) -> None:
    clock = FakeClock(1_800_000_000.0)  # the start of a 15-minute window
    app = build_app(settings.with_changes(auth_failures_per_account=2, clock=clock))
    make_user("ada@example.com")
    with TestClient(app) as client:
        for _ in range(2):
            assert client.post(LOGIN, json={"email": "ada@example.com", "password": "wrong one"}).status_code == 401
        locked = client.post(LOGIN, json={"email": "ADA@example.com", "password": PASSWORD})
        assert locked.status_code == 429
        assert locked.headers["Retry-After"] == "901"
        other = make_user("bob@example.com")
        assert client.post(LOGIN, json={"email": other.email, "password": PASSWORD}).status_code == 200
        clock.now += 900
        assert client.post(LOGIN, json={"email": "ada@example.com", "password": PASSWORD}).status_code == 200


def test_right_passwords_do_not_count_toward_the_account_lockout(db: str, settings: Settings) -> None:
    app = build_app(settings.with_changes(auth_failures_per_account=2, clock=FakeClock()))
    make_user("ada@example.com")
    with TestClient(app) as client:
        for _ in range(5):
            assert client.post(LOGIN, json={"email": "ada@example.com", "password": PASSWORD}).status_code == 200
        assert client.post(LOGIN, json={"email": "ada@example.com", "password": "wrong one"}).status_code == 401


def test_a_foreign_page_cannot_sign_the_browser_in(client: TestClient) -> None:
    make_user("ada@example.com")
    body = {"email": "ada@example.com", "password": PASSWORD}
    foreign = client.post(LOGIN, json=body, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403 and "set-cookie" not in foreign.headers
    registered = client.post(
        REGISTER,
        json={"email": "eve@example.com", "password": "a fine passphrase"},
        headers={"Origin": "https://evil.example"},
    )
    assert registered.status_code == 403 and "set-cookie" not in registered.headers
    client.headers.pop("Origin")
    assert client.post(LOGIN, json=body).status_code == 200  # an API client sends no Origin


def test_cookie_writes_behind_a_tls_proxy_match_the_configured_public_origin(db: str, settings: Settings) -> None:
    # The proxy speaks plain HTTP to us with its own Host; the browser is on https://howsmytrack.example.
    app = build_app(settings.with_changes(web_url="https://howsmytrack.example"))
    with TestClient(app, base_url="http://app:8000", headers={"Origin": "https://howsmytrack.example"}) as client:
        register(client)
        assert client.patch("/api/v1/me", json={"send_reminder_emails": False}).status_code == 200
        own_host = client.patch(
            "/api/v1/me", json={"send_reminder_emails": True}, headers={"Origin": "http://app:8000"}
        )
        assert own_host.status_code == 403


def test_a_reset_link_issued_before_a_password_change_no_longer_works(
    db: str, settings: Settings, client: TestClient
) -> None:
    register(client, "ada@example.com", "a fine passphrase")
    with database.connection_context():
        start_password_reset("ada@example.com", "an-old-reset-token", 3600, fixed_clock())
    changed = client.put(
        "/api/v1/me/password", json={"current_password": "a fine passphrase", "new_password": "brand new phrase"}
    )
    assert changed.status_code == 204
    late = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": "an-old-reset-token", "password": "x" * 12}
    )
    assert late.status_code == 400 and late.json()["error"]["code"] == "invalid_token"


def test_token_route_gives_a_bearer_token_and_no_cookie(anon: TestClient) -> None:
    make_user("ada@example.com")
    response = anon.post("/api/v1/auth/token", json={"email": "ada@example.com", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    assert "set-cookie" not in response.headers
    me = anon.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json()["user"]["email"] == "ada@example.com"


def test_me_requires_authentication(anon: TestClient) -> None:
    response = anon.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def _forge(settings: Settings, payload: dict, header: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(payload)}."


def test_tokens_with_alg_none_bad_signature_or_expired_are_refused(anon: TestClient, settings: Settings) -> None:
    user = make_user()
    now = int(time.time())
    claims = {
        "sub": str(user.id),
        "jti": "x",
        "ver": 0,
        "iat": now,
        "exp": now + 60,
        "orig_iat": now,
        "iss": "howsmytrack",
        "aud": AUDIENCE,
    }
    unsigned = _forge(settings, claims, {"alg": "none", "typ": "JWT"})
    wrong_key = jwt.encode(claims, "another-secret-that-is-long-enough-0123456789", algorithm="HS256")
    expired = jwt.encode(claims | {"exp": now - 10, "iat": now - 100}, settings.secret_key, algorithm="HS256")
    no_exp = jwt.encode({k: v for k, v in claims.items() if k != "exp"}, settings.secret_key, algorithm="HS256")
    other_alg = jwt.encode(claims, settings.secret_key, algorithm="HS512")
    for token in (unsigned, wrong_key, expired, no_exp, other_alg):
        response = anon.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token
    valid = jwt.encode(claims, settings.secret_key, algorithm="HS256")
    assert anon.get("/api/v1/me", headers={"Authorization": f"Bearer {valid}"}).status_code == 200


def test_logout_revokes_the_token_and_clears_the_cookie(client: TestClient) -> None:
    register(client)
    token = client.cookies["JWT"]
    response = client.post("/api/v1/auth/logout")
    assert response.status_code == 204
    assert 'JWT=""' in response.headers["set-cookie"] or "Max-Age=0" in response.headers["set-cookie"]
    again = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 401


def test_logout_needs_a_session(anon: TestClient) -> None:
    assert anon.post("/api/v1/auth/logout").status_code == 401


def test_refresh_slides_the_session_and_spends_the_old_token(client: TestClient) -> None:
    register(client)
    old = client.cookies["JWT"]
    response = client.post("/api/v1/auth/refresh")
    assert response.status_code == 200
    assert response.json()["user"]["email"] == "Ada@example.com"
    assert client.cookies["JWT"] != old
    assert client.get("/api/v1/me").status_code == 200
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {old}"}).status_code == 401


def test_refresh_past_the_refresh_window_is_refused(anon: TestClient, settings: Settings) -> None:
    user = make_user()
    long_ago = int(time.time()) - settings.refresh_window_seconds - 10
    token, _ = issue_token(settings, user.id, 0, session_started_at=long_ago)
    response = anon.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def test_password_change_ends_other_sessions_and_keeps_this_one(
    client: TestClient, anon: TestClient, settings: Settings
) -> None:
    register(client, "ada@example.com", "a fine passphrase")
    other_session = anon.post(
        "/api/v1/auth/token", json={"email": "ada@example.com", "password": "a fine passphrase"}
    ).json()["access_token"]
    wrong = client.put(
        "/api/v1/me/password", json={"current_password": "nope nope", "new_password": "brand new phrase"}
    )
    assert wrong.status_code == 422 and "current_password" in wrong.json()["error"]["fields"]
    weak = client.put("/api/v1/me/password", json={"current_password": "a fine passphrase", "new_password": "12345678"})
    assert weak.status_code == 422 and "new_password" in weak.json()["error"]["fields"]
    response = client.put(
        "/api/v1/me/password", json={"current_password": "a fine passphrase", "new_password": "brand new phrase"}
    )
    assert response.status_code == 204
    assert anon.get("/api/v1/me", headers={"Authorization": f"Bearer {other_session}"}).status_code == 401
    assert client.get("/api/v1/me").status_code == 200
    assert anon.post(LOGIN, json={"email": "ada@example.com", "password": "brand new phrase"}).status_code == 200


def test_patch_me_checks_the_email_and_changes_the_reminder_setting(client: TestClient) -> None:
    register(client)
    make_user("taken@example.com")
    password = "a fine passphrase"
    taken = client.patch("/api/v1/me", json={"email": "TAKEN@example.com", "current_password": password})
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "email_taken"
    invalid = client.patch("/api/v1/me", json={"email": "nope", "current_password": password})
    assert invalid.status_code == 422
    wrong_type = client.patch("/api/v1/me", json={"send_reminder_emails": "yes"})
    assert wrong_type.status_code == 422
    response = client.patch("/api/v1/me", json={"send_reminder_emails": False})
    assert response.status_code == 200
    assert response.json()["user"]["send_reminder_emails"] is False


def test_patch_me_anonymous_is_refused(anon: TestClient) -> None:
    assert anon.patch("/api/v1/me", json={"send_reminder_emails": False}).status_code == 401


def test_cookie_requests_from_a_foreign_origin_are_refused(client: TestClient, settings: Settings) -> None:
    register(client)
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "", "Referer": "https://evil.example/page"}):
        response = client.patch("/api/v1/me", json={"send_reminder_emails": False}, headers=headers)
        assert response.status_code == 403, headers
        assert response.json()["error"]["code"] == "forbidden"
    client.headers.pop("Origin")
    assert client.patch("/api/v1/me", json={"send_reminder_emails": False}).status_code == 403
    assert client.get("/api/v1/me").status_code == 200  # safe methods are not CSRF-checked


def test_bearer_requests_are_not_subject_to_csrf_checks(anon: TestClient, settings: Settings) -> None:
    user = make_user()
    response = anon.patch(
        "/api/v1/me",
        json={"send_reminder_emails": False},
        headers={**bearer(settings, user), "Origin": "https://evil.example"},
    )
    assert response.status_code == 200


def test_allowed_cors_origin_may_use_the_cookie(db: str, settings: Settings) -> None:
    app = build_app(settings.with_changes(cors_origins=("https://app.example",)))
    with TestClient(app) as client:
        register(client.__class__(app, headers={"Origin": "https://app.example"}).__enter__())
        preflight = client.options(
            "/api/v1/me", headers={"Origin": "https://app.example", "Access-Control-Request-Method": "PATCH"}
        )
        assert preflight.headers["access-control-allow-origin"] == "https://app.example"
        assert preflight.headers["access-control-allow-credentials"] == "true"
        foreign = client.options(
            "/api/v1/me", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "PATCH"}
        )
        assert "access-control-allow-origin" not in foreign.headers


def test_password_reset_emails_a_single_use_link(db: str, settings: Settings, smtp) -> None:  # type: ignore[no-untyped-def]
    app = build_app(settings.with_changes(smtp_url=smtp.url, web_url="https://howsmytrack.example"))
    user = make_user("ada@example.com")
    with TestClient(app) as client:
        unknown = client.post("/api/v1/auth/password-reset", json={"email": "nobody@example.com"})
        known = client.post("/api/v1/auth/password-reset", json={"email": "ADA@example.com"})
        assert unknown.status_code == known.status_code == 202
        assert unknown.json() == known.json()
        message = smtp.expect(1)[0]
        assert message["To"] == "ada@example.com"
        with database.connection_context():
            assert EmailOutbox.select().count() == 1  # nothing queued for the unknown address
        text, html = smtp.bodies(message)
        assert "https://howsmytrack.example/reset-password?token=" in text and "<a href=" in html
        token = text.split("token=")[1].split()[0]
        old_session = bearer(settings, user)
        weak = client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": "12345678"})
        assert weak.status_code == 422
        done = client.post("/api/v1/auth/password-reset/confirm", json={"token": token, "password": "a new passphrase"})
        assert done.status_code == 204
        assert client.get("/api/v1/me", headers=old_session).status_code == 401
        assert client.post(LOGIN, json={"email": "ada@example.com", "password": "a new passphrase"}).status_code == 200
        reused = client.post(
            "/api/v1/auth/password-reset/confirm", json={"token": token, "password": "another passphrase"}
        )
        assert reused.status_code == 400 and reused.json()["error"]["code"] == "invalid_token"


def test_password_reset_tokens_expire(db: str, settings: Settings, smtp) -> None:  # type: ignore[no-untyped-def]
    app = build_app(settings.with_changes(smtp_url=smtp.url))
    make_user("ada@example.com")
    with TestClient(app) as client:
        client.post("/api/v1/auth/password-reset", json={"email": "ada@example.com"})
        token = smtp.bodies(smtp.expect(1)[0])[0].split("token=")[1].split()[0]
        with database.connection_context():
            PasswordReset.update(expires_at=utcnow() - dt.timedelta(seconds=1)).execute()
        response = client.post(
            "/api/v1/auth/password-reset/confirm", json={"token": token, "password": "a new passphrase"}
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_token"


def test_password_reset_in_development_without_smtp_writes_to_a_folder(db: str, settings: Settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = build_app(settings.with_changes(smtp_url="", mail_folder=str(tmp_path / "outbox")))
    make_user("ada@example.com")
    with TestClient(app) as client:
        assert client.post("/api/v1/auth/password-reset", json={"email": "ada@example.com"}).status_code == 202
        files = eventually(lambda: list((tmp_path / "outbox").glob("*.eml")))
    assert len(files) == 1
    text, _ = SmtpSink.bodies(email.message_from_bytes(files[0].read_bytes()))
    assert "reset-password?token=" in text


def test_register_and_password_reset_share_the_per_address_limit(db: str, settings: Settings) -> None:
    app = build_app(settings.with_changes(auth_rate_per_address=2))
    with TestClient(app) as client:
        assert client.post("/api/v1/auth/password-reset", json={"email": "x@example.com"}).status_code == 202
        assert (
            client.post(REGISTER, json={"email": "ada@example.com", "password": "a fine passphrase"}).status_code == 201
        )
        third = client.post("/api/v1/auth/token", json={"email": "ada@example.com", "password": "a fine passphrase"})
        assert third.status_code == 429 and third.headers["Retry-After"]
        for url, body in (
            (REGISTER, {"email": "bob@example.com", "password": "a fine passphrase"}),
            ("/api/v1/auth/password-reset", {"email": "x@example.com"}),
        ):
            limited = client.post(url, json=body)
            assert limited.status_code == 429 and limited.json()["error"]["code"] == "rate_limited"


def test_token_route_refuses_a_wrong_password(anon: TestClient) -> None:
    make_user("ada@example.com")
    response = anon.post("/api/v1/auth/token", json={"email": "ada@example.com", "password": "not the one"})
    assert response.status_code == 401 and response.json()["error"]["code"] == "invalid_credentials"


def test_a_lookalike_address_is_refused_at_every_entrance(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/register", json={"email": "x@h\u043ewsmytrack.example", "password": "a fine passphrase"}
    )
    assert response.status_code == 422 and "email" in response.json()["error"]["fields"]
    assert (
        client.post(
            "/api/v1/auth/register", json={"email": "ada@example.com", "password": "a fine passphrase"}
        ).status_code
        == 201
    )
    patched = client.patch("/api/v1/me", json={"email": "x@h\u043ewsmytrack.example"})
    assert patched.status_code == 422 and "email" in patched.json()["error"]["fields"]
