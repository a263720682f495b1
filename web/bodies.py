"""Reading JSON bodies and query strings into validated schema objects."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from db.errors import ValidationFailed
from web.errors import HTTPProblem

MAX_BODY_BYTES = 1_000_000
M = TypeVar("M", bound=BaseModel)


def validation_fields(error: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"]) or "body"
        message = str(item["msg"])
        # pydantic prefixes messages from our own validators with "Value error, ".
        fields.setdefault(name, message.removeprefix("Value error, "))
    return fields


async def read_json(request: Request) -> Any:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise HTTPProblem(415, "unsupported_media_type", "Send the body as application/json.")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise HTTPProblem(413, "payload_too_large", f"The body may be at most {MAX_BODY_BYTES} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise HTTPProblem(413, "payload_too_large", f"The body may be at most {MAX_BODY_BYTES} bytes.")
        chunks.append(chunk)
    try:
        return json.loads(b"".join(chunks))
    except (ValueError, UnicodeDecodeError):
        raise HTTPProblem(400, "malformed_json", "The body is not valid JSON.") from None


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


async def parse_body(request: Request, schema: type[M]) -> M:
    data = await read_json(request)
    if not isinstance(data, dict):
        raise ValidationFailed({"body": "must be a JSON object"})
    if _has_nul(data):
        # PostgreSQL cannot store NUL characters in text; no field has a use for them.
        raise ValidationFailed({"body": "text must not contain NUL characters"})
    try:
        return schema.model_validate(data)
    except ValidationError as error:
        raise ValidationFailed(validation_fields(error)) from None


def parse_query(request: Request, schema: type[M]) -> M:
    params = request.query_params
    data = {key: params.get(key) for key in params}
    if len(params.multi_items()) != len(data):
        repeated = sorted({key for key, _ in params.multi_items() if len(params.getlist(key)) > 1})
        raise ValidationFailed({key: "give this parameter once" for key in repeated})
    try:
        return schema.model_validate(data)
    except ValidationError as error:
        raise ValidationFailed(validation_fields(error)) from None
