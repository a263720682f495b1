"""Domain exceptions raised by units of work; `web/errors.py` maps them to HTTP responses."""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"
    message = "The request could not be processed."

    def __init__(self, code: str | None = None, message: str | None = None) -> None:
        self.code = code or self.code
        self.message = message or self.message
        super().__init__(self.message)


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"
    message = "Sign in to do this."


class InvalidCredentials(DomainError):
    status = 401
    code = "invalid_credentials"
    message = "The email or password is not right."


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    message = "You may not do this."


class NotFound(DomainError):
    status = 404
    code = "not_found"
    message = "There is nothing here."


class Conflict(DomainError):
    status = 409
    code = "conflict"
    message = "That conflicts with the current state."


class InvalidToken(DomainError):
    status = 400
    code = "invalid_token"
    message = "This link has expired or was already used."


class ValidationFailed(DomainError):
    status = 422
    code = "validation_error"
    message = "Some fields are not valid."

    def __init__(self, fields: dict[str, str], code: str | None = None, message: str | None = None) -> None:
        super().__init__(code, message)
        self.fields = fields


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"
    message = "Too many attempts; try again later."

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = max(1, retry_after)


class TooManyStreams(RateLimited):
    code = "too_many_streams"
    message = "You have too many live streams open; close one (another tab?) first."


class StreamsFull(RateLimited):
    """This process holds as many live streams as it may (`MAX_STREAMS`); another may have room."""

    status = 503
    code = "streams_full"
    message = "The service holds all the live streams it can; try again shortly."
