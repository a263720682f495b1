"""Error reporting with `sentry-sdk`, on when SENTRY_DSN is set: unhandled errors in requests and
jobs (and error-level log lines) become events tagged with the environment, the release and, for a
request, its request id.

No personal data leaves in an event: `scrub` runs on every event and breadcrumb before it is sent
and removes request bodies, cookies, query strings, headers other than a few harmless ones, the
user and local variables (never collected). An exception keeps its type and stack but not its
message, and a log line its format string but not its arguments: those are where an address, a
token, a password or a piece of feedback could be. What text is left (breadcrumbs' messages, the
URL's path) has anything that looks like an email address or a token replaced.
"""

from __future__ import annotations

import re
from typing import Any

import sentry_sdk

from settings import Settings

EMAIL = re.compile(r"[^\s@<>'\"(),;:]+@[^\s@<>'\"(),;:]+")
# JWTs, bearer tokens, link tokens (long runs of URL-safe base64)
TOKEN = re.compile(r"\b(?:eyJ[\w-]*\.[\w-]*\.[\w-]*|[A-Za-z0-9_-]{24,})\b")
KEPT_HEADERS = {"user-agent", "content-type", "content-length", "accept", "x-request-id", "host"}
MAX_TEXT = 300


def clean_text(value: str) -> str:
    """An email address or token becomes a placeholder; only the first line, cut short."""
    first = value.splitlines()[0] if value else value
    return TOKEN.sub("[token]", EMAIL.sub("[email]", first))[:MAX_TEXT]


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    return value


def scrub(event: dict[str, Any], hint: Any = None) -> dict[str, Any]:
    """The event as it may leave: see the module's docstring."""
    event.pop("user", None)
    event.pop("server_name", None)
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "cookies", "query_string", "env"):
            request.pop(key, None)
        headers = request.get("headers") or {}
        request["headers"] = {k: v for k, v in headers.items() if str(k).lower() in KEPT_HEADERS}
        if "url" in request:
            request["url"] = clean_text(str(request["url"]).split("?")[0])
    for exception in (event.get("exception") or {}).get("values") or []:
        exception.pop("value", None)
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        event["logentry"] = {"message": str(logentry.get("message", ""))[:MAX_TEXT]}
    event.pop("message", None)
    for key in ("extra", "contexts"):
        if key in event:
            event[key] = _clean(event[key])
    breadcrumbs = event.get("breadcrumbs")
    if isinstance(breadcrumbs, dict):
        breadcrumbs["values"] = [scrub_breadcrumb(crumb) for crumb in breadcrumbs.get("values") or []]
    return event


def scrub_breadcrumb(crumb: dict[str, Any], hint: Any = None) -> dict[str, Any]:
    crumb = dict(crumb)
    if "message" in crumb and crumb["message"] is not None:
        crumb["message"] = clean_text(str(crumb["message"]))
    crumb.pop("data", None)
    return crumb


def start_error_reporting(settings: Settings) -> bool:
    """Start reporting when SENTRY_DSN is set (once per process); True when it is on."""
    if not settings.sentry_dsn:
        return False
    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        environment=settings.environment,
        release=settings.release or None,
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        traces_sample_rate=0,
        before_send=scrub,  # type: ignore[arg-type]
        before_breadcrumb=scrub_breadcrumb,
    )
    return True


def tag_request(request_id: str) -> None:
    """Mark what this request reports with its id (what its answer's X-Request-ID header says)."""
    sentry_sdk.get_isolation_scope().set_tag("request_id", request_id)
