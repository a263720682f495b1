"""The contract's JSON error shape, and the mapping from exceptions to error responses."""

from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from db.connection import BUSY, DATABASE_ERRORS, RETRY, TIMEOUT, UNAVAILABLE, PoolExhausted, failure_kind
from db.errors import DomainError, RateLimited, ValidationFailed

log = logging.getLogger("howsmytrack.errors")

HTTP_CODES = {
    400: ("bad_request", "The request is malformed."),
    401: ("not_authenticated", "Sign in to do this."),
    403: ("forbidden", "You may not do this."),
    404: ("not_found", "There is nothing here."),
    405: ("method_not_allowed", "This method is not allowed here."),
    413: ("payload_too_large", "The request body is too large."),
    415: ("unsupported_media_type", "Send the body as application/json."),
}


class HTTPProblem(Exception):
    """A transport-level refusal (malformed JSON, wrong content type, body too large)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(
    status: int, code: str, message: str, fields: dict[str, str] | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields is not None:
        error["fields"] = fields
    return JSONResponse({"error": error}, status_code=status, headers=headers)


async def domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
    fields = exc.fields if isinstance(exc, ValidationFailed) else None
    return error_response(exc.status, exc.code, exc.message, fields, headers)


async def http_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPProblem)
    return error_response(exc.status, exc.code, exc.message)


async def http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code, message = HTTP_CODES.get(exc.status_code, ("error", exc.detail or "Request failed."))
    return error_response(exc.status_code, code, message, headers=dict(exc.headers) if exc.headers else None)


DATABASE_FAILURES = {
    UNAVAILABLE: ("database_unavailable", "The database cannot be reached; try again shortly.", "5"),
    BUSY: ("database_busy", "The service is busy; try again in a moment.", "1"),
    RETRY: ("database_busy", "The service is busy; try again in a moment.", "1"),
    TIMEOUT: ("database_timeout", "That took too long to answer; try again shortly.", "5"),
}


async def database_failure(request: Request, exc: Exception) -> Response:
    """503 with Retry-After for outages, contention and timeouts; anything else is a bug (500)."""
    kind = failure_kind(exc)
    if kind is None:
        return await server_error(request, exc)
    code, message, retry_after = DATABASE_FAILURES[kind]
    if kind == UNAVAILABLE:
        log.warning("database unavailable: %s", exc, extra={"request_id": request_id(request)})
    else:
        log.warning("database %s (request %s)", kind, request_id(request), exc_info=exc)
    return error_response(503, code, message, headers={"Retry-After": retry_after})


async def server_error(request: Request, exc: Exception) -> Response:
    log.error("unhandled error (request %s)", request_id(request), exc_info=exc)
    return error_response(500, "internal_error", f"Something went wrong on our side (request {request_id(request)}).")


def request_id(request: Request) -> str:
    return str(request.scope.get("state", {}).get("request_id", "-"))


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: domain_error,
    HTTPProblem: http_problem,
    HTTPException: http_exception,
    **{error: database_failure for error in (*DATABASE_ERRORS, PoolExhausted)},
    Exception: server_error,
}
