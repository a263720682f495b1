"""The signed-in user's own account: details, settings, password."""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import Response

from db import account_lifecycle, accounts, progress, rate_limits
from db.connection import run_in_db
from db.errors import ValidationFailed
from web.bodies import parse_body
from web.passwords import hash_new_password, password_matches
from web.routing import RouteDoc, api, conditional_json, json_response, no_content
from web.schemas import AccountDeletion, AccountExport, MeUpdate, PasswordChange, Progress, Status, UserEnvelope
from web.session import (
    COOKIE,
    clear_session_cookie,
    current_claims,
    limit_address,
    set_session_cookie,
    settings_of,
    with_user,
)
from web.tokens import issue_token


async def get_me(request: Request) -> Response:
    claims = current_claims(request)
    user = await run_in_db(accounts.current_user_payload, claims.user_id, claims.version, claims.jti)
    return conditional_json(request, {"user": user})


async def update_me(request: Request) -> Response:
    body = await parse_body(request, MeUpdate)
    if body.email is not None:
        # Each try may tell whether an address has an account: limited like the auth routes.
        await limit_address(request)
        await _check_password(request, body.current_password, "is needed to change your email address")
        await _limit_link_mails(request)
        token = secrets.token_urlsafe(32)
        await with_user(request, account_lifecycle.start_email_change, body.email, token)
    user = await with_user(request, accounts.update_me, body.send_reminder_emails)
    return json_response({"user": user})


async def _check_password(
    request: Request, password: str | None, missing: str = "is needed", field: str = "current_password"
) -> accounts.StoredPassword:
    """The caller's stored password, once `password` proved to be it (422 on `field` otherwise)."""
    if password is None:
        raise ValidationFailed({field: missing})
    stored = await with_user(request, accounts.stored_password)
    if not await password_matches(request, stored.password_hash, password):
        raise ValidationFailed({field: "is not your current password"})
    return stored


async def _limit_link_mails(request: Request) -> None:
    """Emails carrying a link (resends and address changes) are capped per account."""
    key = f"verify-mail:{current_claims(request).user_id}"
    limit = account_lifecycle.LINK_MAILS_PER_HOUR
    await run_in_db(rate_limits.limit_attempt, key, limit, 3600, settings_of(request).clock())


async def resend_verification(request: Request) -> Response:
    await limit_address(request)
    await _limit_link_mails(request)
    await with_user(request, account_lifecycle.resend_link, secrets.token_urlsafe(32))
    return json_response({"status": "accepted"}, 202)


async def delete_me(request: Request) -> Response:
    body = await parse_body(request, AccountDeletion)
    await _check_password(request, body.password, field="password")
    await with_user(request, account_lifecycle.delete_account)
    response = no_content()
    clear_session_cookie(response, settings_of(request))
    return response


async def my_progress(request: Request) -> Response:
    return json_response(await with_user(request, lambda user: progress.progress(user.id)))


async def export_me(request: Request) -> Response:
    document = await with_user(request, account_lifecycle.export)
    return json_response(document, headers={"Content-Disposition": 'attachment; filename="howsmytrack-export.json"'})


async def change_password(request: Request) -> Response:
    body = await parse_body(request, PasswordChange)
    stored = await _check_password(request, body.current_password)
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
            errors=("email_taken", "rate_limited"),
            description="Only the fields present change. A new `email` (register's rules) needs `current_password`; "
            "it becomes the login only once confirmed through the link emailed to it (`pending_email` until then; "
            "the old address is told when it changes). Setting the current address back, a password change and a "
            "password reset cancel a waiting change (its link stops working). Email changes are limited per client "
            "address as sign-in is, and with the verification resends to three an hour per account.",
        ),
    ),
    api(
        "/me",
        delete_me,
        "DELETE",
        RouteDoc(
            "Delete your account",
            TAG,
            AccountDeletion,
            status=204,
            description="Needs the password. Every session ends; the email and password are erased (the address "
            "can sign up again); the waiting request is withdrawn; feedback still owed is dropped and the caller's "
            "tracks leave the review lists of those who had not reviewed them, so nobody waits; feedback written "
            "stays, anonymous and linked to nobody.",
        ),
    ),
    api(
        "/me/progress",
        my_progress,
        "GET",
        RouteDoc(
            "What reviewers said about your tracks, summed up",
            TAG,
            response=Progress,
            description="Per focus aspect: how often you asked about it, how many answers reviewers wrote on it, "
            "and the mean of the scores they gave. For your latest track with feedback you can read: the moments "
            "reviewers marked most (marks within 5 s of each other are one moment). Only feedback you may read "
            "counts.",
        ),
    ),
    api(
        "/me/export",
        export_me,
        "GET",
        RouteDoc(
            "Everything held about you, as one JSON document",
            TAG,
            response=AccountExport,
            description="Account, requests, feedback written and received (with ratings), replies, strikes and "
            "notifications; nobody else's identity.",
        ),
    ),
    api(
        "/me/verification-email",
        resend_verification,
        "POST",
        RouteDoc(
            "Send the email confirmation link again",
            TAG,
            response=Status,
            status=202,
            errors=("nothing_to_verify", "rate_limited"),
            description="For the unconfirmed address, or the new address waiting for confirmation. Three an hour.",
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
