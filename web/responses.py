"""Writing and rating feedback, and the reply threads on it."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from db import responses
from web.bodies import parse_body
from web.routing import RouteDoc, api, json_response
from web.schemas import (
    Marked,
    MarkRead,
    RatingSubmit,
    ReplyCreate,
    ReplyEnvelope,
    ReplyThread,
    ResponseEnvelope,
    ResponseSubmit,
)
from web.session import with_user


async def submit_response(request: Request) -> Response:
    body = await parse_body(request, ResponseSubmit)
    response_id = request.path_params["response_id"]
    result = await with_user(request, responses.submit_response, response_id, body.submission())
    return json_response({"response": result})


async def rate_response(request: Request) -> Response:
    body = await parse_body(request, RatingSubmit)
    result = await with_user(request, responses.rate_response, request.path_params["response_id"], body.rating)
    return json_response({"response": result})


async def list_replies(request: Request) -> Response:
    return json_response(await with_user(request, responses.list_replies, request.path_params["response_id"]))


async def create_reply(request: Request) -> Response:
    body = await parse_body(request, ReplyCreate)
    response_id = request.path_params["response_id"]
    reply = await with_user(request, responses.create_reply, response_id, body.text, body.allow_replies)
    return json_response({"reply": reply}, 201)


async def mark_replies_read(request: Request) -> Response:
    body = await parse_body(request, MarkRead)
    return json_response({"marked": await with_user(request, responses.mark_read, body.reply_ids)})


TAG = "feedback"
ONE = "/responses/{response_id:id}"
routes = [
    api(
        ONE,
        submit_response,
        "PUT",
        RouteDoc(
            "Submit feedback you owe",
            TAG,
            ResponseSubmit,
            response=ResponseEnvelope,
            errors=("forbidden", "already_submitted", "feedback_too_generic"),
            description="Only its writer, only once. Free text (`feedback`), or the guided form (`guided`: an "
            "answer for each aspect the artist asked about and three short fields) with optional notes; up to "
            "50 `marks` pinned to moments. Everything is stored in one transaction and composed into "
            "`feedback` for clients that only read that. Fewer than 40 words over all fields, or 80 % the same "
            "as one of the writer's last 50 responses, is refused with `422 feedback_too_generic` (nothing "
            "stored). The track's owner who can read it gets `403`; anyone else `404`.",
        ),
    ),
    api(
        ONE + "/rating",
        rate_response,
        "PUT",
        RouteDoc(
            "Rate feedback on your track (1-5, once)",
            TAG,
            RatingSubmit,
            response=ResponseEnvelope,
            errors=("forbidden", "feedback_locked", "not_submitted", "already_rated"),
            description="Only the track's owner, once they have written all they owe in the group "
            "(`409 feedback_locked` before), only submitted feedback, only once.",
        ),
    ),
    api(
        ONE + "/replies",
        list_replies,
        "GET",
        RouteDoc(
            "The reply thread on a response",
            TAG,
            response=ReplyThread,
            errors=("rate_first",),
            description="For the feedback's writer, and for the track's owner once they rated it "
            "(`409 rate_first` before).",
        ),
    ),
    api(
        ONE + "/replies",
        create_reply,
        "POST",
        RouteDoc(
            "Reply on a response",
            TAG,
            ReplyCreate,
            response=ReplyEnvelope,
            status=201,
            errors=("rate_first", "replies_closed"),
            description="The same two people; only while the writer allowed replies and no reply closed the thread.",
        ),
    ),
    api(
        "/replies/read",
        mark_replies_read,
        "POST",
        RouteDoc(
            "Mark the other person's replies read",
            TAG,
            MarkRead,
            response=Marked,
            description="Marks only replies by the other person on threads open to the caller; returns how many.",
        ),
    ),
]
