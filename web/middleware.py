"""Request ids and one structured log line per request (method, path, status, duration; no secrets)."""

from __future__ import annotations

import itertools
import json
import logging
import re
import secrets
import time

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from error_reporting import tag_request
from web.metrics import RequestMetrics

log = logging.getLogger("howsmytrack.requests")
SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
# Request ids: this process's random prefix and a counter (unique without a system call each:
# uuid4 took 3 % of a worker's time under load).
_ID_PREFIX = secrets.token_hex(6)
_ids = itertools.count(1)


def new_request_id() -> str:
    return f"{_ID_PREFIX}{next(_ids):020x}"


class RequestLogMiddleware:
    """`report_errors`: error reporting is on, and errors carry the request id."""

    def __init__(self, app: ASGIApp, report_errors: bool = False) -> None:
        self.app = app
        self.report_errors = report_errors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if SAFE_REQUEST_ID.match(incoming) else new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        if self.report_errors:
            tag_request(request_id)
        started = time.perf_counter()
        status = 500
        RequestMetrics.started()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            RequestMetrics.finished(scope, status, time.perf_counter() - started)
            if log.isEnabledFor(logging.INFO):
                # The path only: query strings can carry links and tokens.
                log.info(
                    json.dumps(
                        {
                            "request_id": request_id,
                            "method": scope["method"],
                            "path": scope["path"],
                            "status": status,
                            "ms": round((time.perf_counter() - started) * 1000, 1),
                        }
                    )
                )


API_CSP = "default-src 'none'; frame-ancestors 'none'"
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
# The web client: its own files only, players from the media services' embed addresses.
CLIENT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https://i1.sndcdn.com; "
    "media-src https://www.dropbox.com https://dl.dropboxusercontent.com; "
    "frame-src https://w.soundcloud.com https://drive.google.com https://onedrive.live.com; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"


def _policy(path: str) -> str:
    if path.startswith("/docs"):
        return DOCS_CSP
    if path.startswith(("/api/", "/healthz", "/readyz", "/openapi.json")):
        return API_CSP
    return CLIENT_CSP


class SecurityHeadersMiddleware:
    """Headers every response carries (as Django's SecurityMiddleware sets them): no sniffing, no
    framing, a same-origin referrer, HSTS in production; API answers are never stored by caches
    (they are per user); the docs page gets a CSP that allows only its own files."""

    def __init__(self, app: ASGIApp, production: bool) -> None:
        self.app = app
        self.production = production

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        extra = [
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"),
            (b"content-security-policy", _policy(path).encode()),
        ]
        if self.production:
            extra.append((b"strict-transport-security", HSTS.encode()))
        api = path.startswith("/api/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(name, value) for name, value in extra if name not in present]
                if api and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class CorsMiddleware(CORSMiddleware):
    """Starlette's CORS handling, with a refused preflight answered in the API's error shape."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        refused = bytes(response.body).decode().removeprefix("Disallowed CORS ")
        return JSONResponse(
            {
                "error": {
                    "code": "origin_not_allowed",
                    "message": f"This cross-origin request is not allowed ({refused}).",
                }
            },
            status_code=403,
            headers={key: value for key, value in response.headers.items() if key.lower().startswith("access-control")},
        )
