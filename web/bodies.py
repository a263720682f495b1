"""Reading JSON bodies and query strings into validated schema objects."""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from db.errors import ValidationFailed
from web.errors import HTTPProblem

MAX_BODY_BYTES = 1_000_000
# No body of ours nests more than a list inside an object; anything far deeper is refused.
MAX_DEPTH = 32
M = TypeVar("M", bound=BaseModel)


def validation_fields(error: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"]) or "body"
        message = str(item["msg"])
        # pydantic prefixes messages from our own validators with "Value error, ".
        fields.setdefault(name, message.removeprefix("Value error, "))
    return fields


def decimal(value: str, max_digits: int = 19) -> int | None:
    """`value` as a whole number when it is ASCII digits only, else None. (`str.isdigit` accepts
    superscripts and other scripts' digits, which `int()` then refuses: a 500 from a header.)"""
    if 0 < len(value) <= max_digits and value.isascii() and value.isdigit():
        return int(value)
    return None


async def read_json(request: Request) -> Any:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise HTTPProblem(415, "unsupported_media_type", "Send the body as application/json.")
    declared = decimal(request.headers.get("content-length", ""))
    if declared is not None and declared > MAX_BODY_BYTES:
        raise HTTPProblem(413, "payload_too_large", f"The body may be at most {MAX_BODY_BYTES} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise HTTPProblem(413, "payload_too_large", f"The body may be at most {MAX_BODY_BYTES} bytes.")
        chunks.append(chunk)
    body = b"".join(chunks)
    if _nesting(body) > MAX_DEPTH:
        raise HTTPProblem(400, "too_deeply_nested", f"The body may nest arrays and objects at most {MAX_DEPTH} deep.")
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise HTTPProblem(400, "malformed_json", "The body is not valid JSON.") from None


_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')


def _nesting(body: bytes) -> int:
    """How deep brackets nest outside strings: checked before parsing, which recurses."""
    depth = deepest = 0
    for match in re.finditer(rb"[\[\]{}]", _STRING.sub(b'""', body)):
        depth += 1 if match.group() in (b"[", b"{") else -1
        deepest = max(deepest, depth)
    return deepest


def _has_nul(value: Any) -> bool:
    """Whether any key or string in the (depth-checked) value holds a NUL; iterative, never recursive."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
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
