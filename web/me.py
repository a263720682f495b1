"""The signed-in user's own account: details, settings, password."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from db import accounts
from db.connection import run_in_db
from db.errors import ValidationFailed
from web.bodies import parse_body
from web.passwords import hash_new_password, password_matches
from web.routing import RouteDoc, api, conditional_json, json_response, no_content
from web.schemas import MeUpdate, PasswordChange, UserEnvelope
from web.session import COOKIE, current_claims, set_session_cookie, settings_of, with_user
from web.tokens import issue_token


async def get_me(request: Request) -> Response:
    claims = current_claims(request)
    user = await run_in_db(accounts.current_user_payload, claims.user_id, claims.version, claims.jti)
    return conditional_json(request, {"user": user})


async def update_me(request: Request) -> Response:
    body = await parse_body(request, MeUpdate)
    user = await with_user(request, accounts.update_me, body.email, body.send_reminder_emails)
    return json_response({"user": user})


async def change_password(request: Request) -> Response:
    body = await parse_body(request, PasswordChange)
    stored = await with_user(request, accounts.stored_password)
    if not await password_matches(request, stored.password_hash, body.current_password):
        raise ValidationFailed({"current_password": "is not your current password"})
    new_hash = await hash_new_password(request, body.new_password, stored.email, "new_password")
    version = await with_user(request, accounts.set_password, stored.password_hash, new_hash)
    response = no_content()
    if COOKIE in request.cookies and "authorization" not in request.headers:
        # Every earlier token is now refused; this browser keeps its session with a fresh one.
        settings = settings_of(request)
        token, _ = issue_token(settings, current_claims(request).user_id, version)
        set_session_cookie(response, settings, token)
    return response


TAG = "account"
routes = [
    api(
        "/me",
        get_me,
        "GET",
        RouteDoc(
            "The signed-in user",
            TAG,
            response=UserEnvelope,
            etag=True,
            description="The user with their notification counts. Answers with an `ETag`: poll with "
            "`If-None-Match` and get `304` while nothing changed.",
        ),
    ),
    api(
        "/me",
        update_me,
        "PATCH",
        RouteDoc(
            "Change email or reminder setting",
            TAG,
            MeUpdate,
            response=UserEnvelope,
            errors=("email_taken",),
            description="Only the fields present change. The email follows the register rules.",
        ),
    ),
    api(
        "/me/password",
        change_password,
        "PUT",
        RouteDoc(
            "Change password; other sessions end",
            TAG,
            PasswordChange,
            status=204,
            description="Needs the current password. Every other session and every outstanding reset link "
            "stop working; a browser keeps its session with a fresh cookie.",
        ),
    ),
]
