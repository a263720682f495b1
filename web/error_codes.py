"""Every error `code` the API answers with: its HTTP status and a realistic message.

The OpenAPI document lists, per operation and status, the codes from here (an enum with an
example each); a test checks that every error the suite receives is documented for its route.
"""

from __future__ import annotations

ERROR_CODES: dict[str, tuple[int, str]] = {
    "malformed_json": (400, "The body is not valid JSON."),
    "too_deeply_nested": (400, "The body may nest arrays and objects at most 32 deep."),
    "invalid_token": (400, "This link has expired or was already used."),
    "not_authenticated": (401, "Sign in to do this."),
    "token_revoked": (401, "This session has ended; sign in again."),
    "invalid_credentials": (401, "The email or password is not right."),
    "forbidden": (403, "Cross-site request refused: send it from an allowed origin."),
    "origin_not_allowed": (403, "This origin may not call the API from a browser."),
    "account_banned": (
        403,
        "This account is suspended (abusive replies). If you think this is a mistake, write to the operators.",
    ),
    "not_found": (404, "There is nothing here."),
    "method_not_allowed": (405, "This method is not allowed here."),
    "already_grouped": (409, "This request is already in a group and can no longer change."),
    "already_rated": (409, "You already rated this feedback."),
    "already_submitted": (409, "This feedback was already submitted."),
    "already_reported": (409, "You already reported this."),
    "not_hidden": (409, "The reported item is not hidden."),
    "already_resolved": (409, "This report was already resolved."),
    "already_banned": (409, "This account is already banned."),
    "not_banned": (409, "This account is not banned."),
    "cannot_ban_admin": (409, "Admins cannot be banned; revoke the admin role first."),
    "duplicate_track": (409, "This track is already waiting for a group."),
    "email_taken": (409, "An account with this email already exists."),
    "feedback_locked": (409, "Write all the feedback you owe in this group first."),
    "not_submitted": (409, "This feedback has not been submitted yet."),
    "pending_request_exists": (409, "You already have a request waiting for a group."),
    "too_many_strikes": (
        409,
        "You have 2 active strikes, so you cannot submit a track until 2026-12-24T02:30:00Z (UTC). You can still "
        "give feedback with a request without a track; writing all of it on time clears a strike.",
    ),
    "nothing_to_verify": (409, "Your email address is already confirmed."),
    "no_longer_needed": (409, "This track has all the feedback it was promised now; thank you!"),
    "rate_first": (409, "Rate this feedback to open its thread."),
    "replies_closed": (409, "This conversation is closed to further replies."),
    "payload_too_large": (413, "The body may be at most 1000000 bytes."),
    "unsupported_media_type": (415, "Send the body as application/json."),
    "validation_error": (422, "Some fields are not valid."),
    "invalid_media_url": (422, "This link is not one we can use."),
    "feedback_too_generic": (
        422,
        "Your feedback has 23 words; write at least 40 over all the fields: what you heard, where, and what you "
        "would try.",
    ),
    "rate_limited": (429, "Too many attempts; try again later."),
    "too_many_streams": (429, "You have too many live streams open; close one (another tab?) first."),
    "internal_error": (500, "Something went wrong on our side (request 3f2a…)."),
    "database_unavailable": (503, "The database cannot be reached; try again shortly."),
    "database_busy": (503, "The service is busy; try again in a moment."),
    "database_timeout": (503, "That took too long to answer; try again shortly."),
    "streams_full": (503, "The service holds all the live streams it can; try again shortly."),
}

STATUS_TEXT = {
    304: "Not modified since the `ETag` sent in `If-None-Match`",
    400: "Malformed request",
    401: "Not signed in, or the session ended",
    403: "Refused: a cross-site cookie request, a suspended account, or not the caller's to do",
    404: "Not found, or not visible to the caller",
    409: "Conflicts with the current state",
    413: "Body too large",
    415: "Body is not JSON",
    422: "Validation error (`fields` says which and why)",
    429: "Rate limited (see `Retry-After`)",
    503: "The database is unreachable, busy or slow, or the process is full (see `Retry-After`)",
}

DATABASE = ("database_unavailable", "database_busy", "database_timeout")
SESSION = ("not_authenticated", "token_revoked")
BODY = ("malformed_json", "too_deeply_nested", "payload_too_large", "unsupported_media_type", "validation_error")


def status_of(code: str) -> int:
    return ERROR_CODES[code][0]
