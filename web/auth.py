"""Sign-up, sign-in, tokens, sign-out and password reset."""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from db import account_lifecycle, accounts
from db.connection import run_in_db
from db.demo import DEMO_EMAIL
from db.errors import InvalidCredentials, NotAuthenticated
from web.bodies import parse_body
from web.passwords import hash_new_password, password_matches
from web.routing import RouteDoc, api, json_response, no_content
from web.schemas import (
    Credentials,
    EmailVerificationConfirm,
    PasswordResetConfirm,
    PasswordResetStart,
    Registration,
    Status,
    TokenOut,
    UserEnvelope,
)
from web.session import (
    clear_session_cookie,
    current_claims,
    limit_address,
    refuse_foreign_origin,
    set_session_cookie,
    settings_of,
)
from web.tokens import issue_token

log = logging.getLogger("howsmytrack.auth")


def _signed_in(request: Request, user: dict[str, Any], status: int = 200) -> Response:
    settings = settings_of(request)
    # Login CSRF: a foreign page must not sign the browser in to an account of its choosing.
    refuse_foreign_origin(request, settings)
    token, _ = issue_token(settings, user["id"], user.pop("token_version", 0))
    response = json_response({"user": user}, status)
    set_session_cookie(response, settings, token)
    return response


async def register(request: Request) -> Response:
    await limit_address(request)
    body = await parse_body(request, Registration)
    password_hash = await hash_new_password(request, body.password, body.email, "password")
    token = secrets.token_urlsafe(32)
    user = await run_in_db(account_lifecycle.register_with_link, body.email, password_hash, token)
    return _signed_in(request, user, 201)


async def verify_email(request: Request) -> Response:
    body = await parse_body(request, EmailVerificationConfirm)
    await run_in_db(account_lifecycle.confirm_link, body.token)
    return no_content()


async def _authenticate(request: Request) -> dict[str, Any]:
    """Count the attempt, check the password outside any transaction, then sign in."""
    settings = settings_of(request)
    await limit_address(request)
    body = await parse_body(request, Credentials)
    if not settings.demo_enabled and body.email.strip().lower() == DEMO_EMAIL:
        raise InvalidCredentials()
    attempt = await run_in_db(accounts.begin_sign_in, body.email, settings.auth_failures_per_account, settings.clock())
    if not await password_matches(request, attempt.password_hash, body.password) or attempt.user_id is None:
        raise InvalidCredentials()
    return await run_in_db(accounts.finish_sign_in, attempt, settings.clock())


async def login(request: Request) -> Response:
    return _signed_in(request, await _authenticate(request))


async def create_token(request: Request) -> Response:
    settings = settings_of(request)
    user = await _authenticate(request)
    token, claims = issue_token(settings, user["id"], user["token_version"])
    return json_response(
        {"access_token": token, "token_type": "bearer", "expires_in": claims.expires_at - claims.issued_at}
    )


async def refresh(request: Request) -> Response:
    settings = settings_of(request)
    claims = current_claims(request)
    if time.time() > claims.session_started_at + settings.refresh_window_seconds:
        raise NotAuthenticated("not_authenticated", "This session can no longer be refreshed; sign in again.")
    user = await run_in_db(accounts.hand_over_session, claims.user_id, claims.version, claims.jti, claims.expires_at)
    token, _ = issue_token(settings, claims.user_id, claims.version, claims.session_started_at)
    response = json_response({"user": user})
    set_session_cookie(response, settings, token)
    return response


async def logout(request: Request) -> Response:
    claims = current_claims(request)
    await run_in_db(accounts.end_session, claims.user_id, claims.version, claims.jti, claims.expires_at)
    response = no_content()
    clear_session_cookie(response, settings_of(request))
    return response


async def start_password_reset(request: Request) -> Response:
    settings = settings_of(request)
    await limit_address(request)
    body = await parse_body(request, PasswordResetStart)
    token = secrets.token_urlsafe(32)
    # The email (when there is an account) is queued and sent by the process's mail sender after
    # the answer, so the answer's timing does not tell whether the account exists.
    await run_in_db(
        accounts.start_password_reset, body.email, token, settings.password_reset_ttl_seconds, settings.clock()
    )
    return json_response({"status": "accepted"}, 202)


async def confirm_password_reset(request: Request) -> Response:
    body = await parse_body(request, PasswordResetConfirm)
    address = await run_in_db(accounts.reset_address, body.token)
    password_hash = await hash_new_password(request, body.password, address, "password")
    await run_in_db(accounts.confirm_password_reset, body.token, password_hash)
    return no_content()


TAG = "auth"
routes = [
    api(
        "/auth/register",
        register,
        "POST",
        RouteDoc(
            "Create an account and sign in",
            TAG,
            Registration,
            response=UserEnvelope,
            status=201,
            auth=False,
            errors=("forbidden", "email_taken", "rate_limited"),
            description="Creates the account and sets the `JWT` cookie. The email must be a plain ASCII address, "
            "unique whatever its case; the password at least 8 characters, not only digits, not a common password "
            "and not the email. Limited per client address (`AUTH_RATE_PER_ADDRESS` a minute). A browser request "
            "from a foreign origin is refused (`403`).",
        ),
    ),
    api(
        "/auth/login",
        login,
        "POST",
        RouteDoc(
            "Sign in (sets the JWT cookie)",
            TAG,
            Credentials,
            response=UserEnvelope,
            auth=False,
            errors=("invalid_credentials", "forbidden", "account_banned", "rate_limited"),
            description="A wrong email and a wrong password get the same `401 invalid_credentials`. Failed attempts "
            "are limited per account (`AUTH_FAILURES_PER_ACCOUNT` per 15 minutes) and all attempts per client "
            "address; past either, `429` with `Retry-After`. A browser request from a foreign origin is refused. "
            "A banned account, with the right password, gets `403 account_banned` and the ban's reason.",
        ),
    ),
    api(
        "/auth/token",
        create_token,
        "POST",
        RouteDoc(
            "Get a bearer token for API clients",
            TAG,
            Credentials,
            response=TokenOut,
            auth=False,
            errors=("invalid_credentials", "account_banned", "rate_limited"),
            description="For clients that are not browsers: the token goes in `Authorization: Bearer …`; "
            "no cookie is set. Limited as login is; a banned account is refused as at login.",
        ),
    ),
    api(
        "/auth/refresh",
        refresh,
        "POST",
        RouteDoc(
            "Renew the session cookie",
            TAG,
            response=UserEnvelope,
            description="Spends the token it is called with (once: a second refresh of the same token gets `401`) "
            "and sets a fresh cookie. A session started more than a week ago cannot be refreshed.",
        ),
    ),
    api(
        "/auth/logout",
        logout,
        "POST",
        RouteDoc(
            "Sign out",
            TAG,
            status=204,
            description="Clears the cookie; the token used is refused from then on.",
        ),
    ),
    api(
        "/auth/password-reset",
        start_password_reset,
        "POST",
        RouteDoc(
            "Email a password reset link",
            TAG,
            PasswordResetStart,
            response=Status,
            status=202,
            auth=False,
            errors=("rate_limited",),
            description='Always `202 {"status": "accepted"}`, whether or not the account exists. If it '
            "does, an email links to `/reset-password?token=…` (single use, valid for an hour).",
        ),
    ),
    api(
        "/auth/verify-email",
        verify_email,
        "POST",
        RouteDoc(
            "Confirm an email address with the emailed link's token",
            TAG,
            EmailVerificationConfirm,
            status=204,
            auth=False,
            errors=("invalid_token", "email_taken"),
            description="The token from a `/verify-email?token=…` link (single use, valid for a day). A sign-up's "
            "link marks the address confirmed; an email change's link makes the new address the login (the old "
            "one is told). A used, expired or superseded token gets `400 invalid_token`; a new address taken "
            "meanwhile `409 email_taken`.",
        ),
    ),
    api(
        "/auth/password-reset/confirm",
        confirm_password_reset,
        "POST",
        RouteDoc(
            "Set a new password with a reset token",
            TAG,
            PasswordResetConfirm,
            status=204,
            auth=False,
            errors=("invalid_token",),
            description="Sets the password (same rules as register) and ends every session of the account. "
            "A used, expired or superseded token gets `400 invalid_token`.",
        ),
    ),
]
