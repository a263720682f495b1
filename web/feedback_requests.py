"""Feedback requests, plus the genre list and link checking the request form uses."""

from __future__ import annotations

from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response

from db import aspects, feedback_requests
from db.genres import GENRES
from db.media import embed_url, media_type
from web.bodies import parse_body, parse_query
from web.routing import RouteDoc, api, json_response, no_content
from web.schemas import (
    AspectList,
    FeedbackRequestCreate,
    FeedbackRequestFilter,
    FeedbackRequestUpdate,
    MediaInfo,
    MediaInfoQuery,
    RequestEnvelope,
    RequestPage,
)
from web.session import with_user
from web.track_metadata import PROVIDERS, refresh_tracks


def _with_track_refresh(request: Request, response: Response, payloads: list[dict[str, Any]]) -> Response:
    waiting = [payload["id"] for payload in payloads if payload["track"] is None and payload["media_type"] in PROVIDERS]
    if waiting:
        response.background = BackgroundTask(refresh_tracks, request.app.state, waiting)
    return response


async def list_genres(request: Request) -> Response:
    return json_response([{"key": key, "label": label} for key, label in GENRES.items()])


async def list_aspects(request: Request) -> Response:
    return json_response(aspects.listing())


async def get_media_info(request: Request) -> Response:
    query = parse_query(request, MediaInfoQuery)
    url = query.url.strip()
    return json_response({"media_url": url, "media_type": media_type(url), "embed_url": embed_url(url)})


async def create_request(request: Request) -> Response:
    body = await parse_body(request, FeedbackRequestCreate)
    created = await with_user(request, lambda user: feedback_requests.create_request(user.id, body.model_dump()))
    return _with_track_refresh(request, json_response({"request": created}, 201), [created])


async def list_requests(request: Request) -> Response:
    query = parse_query(request, FeedbackRequestFilter)
    page = await with_user(
        request, lambda user: feedback_requests.list_requests(user.id, query.status, query.page, query.per_page)
    )
    return _with_track_refresh(request, json_response(page), page["items"])


async def get_request(request: Request) -> Response:
    request_id = request.path_params["request_id"]
    found = await with_user(request, lambda user: feedback_requests.get_request(user.id, request_id))
    return _with_track_refresh(request, json_response({"request": found}), [found])


async def update_request(request: Request) -> Response:
    request_id = request.path_params["request_id"]
    body = await parse_body(request, FeedbackRequestUpdate)
    changes = body.model_dump(include=body.model_fields_set)
    updated = await with_user(request, lambda user: feedback_requests.update_request(user.id, request_id, changes))
    return _with_track_refresh(request, json_response({"request": updated}), [updated])


async def delete_request(request: Request) -> Response:
    request_id = request.path_params["request_id"]
    await with_user(request, lambda user: feedback_requests.delete_request(user.id, request_id))
    return no_content()


TAG = "feedback requests"
GENRE_LIST = {"type": "array", "items": {"$ref": "#/components/schemas/Genre"}}
ONE = "/feedback-requests/{request_id:id}"
routes = [
    api(
        "/genres",
        list_genres,
        "GET",
        RouteDoc(
            "The genres a request can name",
            TAG,
            response=GENRE_LIST,
            auth=False,
            database=False,
            description="Keys with their labels, in the order a form lists them.",
        ),
    ),
    api(
        "/aspects",
        list_aspects,
        "GET",
        RouteDoc(
            "The focus aspects a request can ask about",
            TAG,
            response=AspectList,
            auth=False,
            database=False,
            description="Keys with their labels and what each covers, in the order a form lists them; a request "
            "names up to three in `aspects`, and reviewers answer each in its own field.",
        ),
    ),
    api(
        "/media-info",
        get_media_info,
        "GET",
        RouteDoc(
            "Check a track link",
            TAG,
            query=MediaInfoQuery,
            response=MediaInfo,
            auth=False,
            database=False,
            description="Which service a link points to, or `media_type: null` when it is not a link we accept "
            "(https SoundCloud tracks, Google Drive files, Dropbox share links, OneDrive share links); "
            "`embed_url` is the player a client may show as a preview.",
        ),
    ),
    api(
        "/feedback-requests",
        create_request,
        "POST",
        RouteDoc(
            "Ask for feedback on a track (or none)",
            TAG,
            FeedbackRequestCreate,
            response=RequestEnvelope,
            status=201,
            errors=("pending_request_exists", "duplicate_track", "invalid_media_url", "too_many_strikes"),
            operation_id="create_feedback_request",
            description="Without `media_url` the request is trackless: the caller only gives feedback. One waiting "
            "request per user, and no two waiting requests for the same track.",
        ),
    ),
    api(
        "/feedback-requests",
        list_requests,
        "GET",
        RouteDoc(
            "The caller's requests, newest first",
            TAG,
            query=FeedbackRequestFilter,
            response=RequestPage,
            operation_id="list_feedback_requests",
            description="A page of the caller's requests, all or by `status`.",
        ),
    ),
    api(
        ONE,
        get_request,
        "GET",
        RouteDoc(
            "One of the caller's requests",
            TAG,
            response=RequestEnvelope,
            operation_id="get_feedback_request",
            description="Only its owner sees it.",
        ),
    ),
    api(
        ONE,
        update_request,
        "PATCH",
        RouteDoc(
            "Edit a request while it waits for a group",
            TAG,
            FeedbackRequestUpdate,
            response=RequestEnvelope,
            errors=("already_grouped", "duplicate_track", "invalid_media_url", "too_many_strikes"),
            operation_id="update_feedback_request",
            description="Only the fields present change; `media_url: null` makes it trackless.",
        ),
    ),
    api(
        ONE,
        delete_request,
        "DELETE",
        RouteDoc(
            "Withdraw a request while it waits for a group",
            TAG,
            status=204,
            errors=("already_grouped",),
            operation_id="delete_feedback_request",
            description="Once grouped, a request can no longer be withdrawn.",
        ),
    ),
]
