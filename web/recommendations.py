"""Tracks that need feedback: the caller's recommendations of a day, and extra feedback on one."""

from __future__ import annotations

import datetime as dt

from starlette.requests import Request
from starlette.responses import Response

from db import recommendations
from db.errors import ValidationFailed
from db.models import utcnow
from web.bodies import parse_body, parse_query
from web.routing import RouteDoc, api, json_response
from web.schemas import ExtraFeedback, ExtraFeedbackOut, RecommendationDay, RecommendationQuery
from web.session import with_user


async def my_recommendations(request: Request) -> Response:
    query = parse_query(request, RecommendationQuery)
    now = utcnow()
    day = dt.date.fromisoformat(query.date) if query.date else now.date()
    if day > now.date():
        raise ValidationFailed({"date": "must not be a future day (UTC)"})
    return json_response(await with_user(request, recommendations.for_day, day, now))


async def write_extra_feedback(request: Request) -> Response:
    body = await parse_body(request, ExtraFeedback)
    request_id = request.path_params["request_id"]
    response_id = await with_user(request, recommendations.write_extra, request_id, body.submission())
    return json_response({"response_id": response_id}, 201)


TAG = "feedback"
routes = [
    api(
        "/me/recommendations",
        my_recommendations,
        "GET",
        RouteDoc(
            "Tracks that need your feedback, for a day",
            "account",
            query=RecommendationQuery,
            response=RecommendationDay,
            description="The up to five tracks the nightly `recommend_tracks` job chose for the caller on `date` "
            "(UTC; default today): tracks that got fewer reviews than their group promised, never the caller's own, "
            "one they reviewed or one of their groups'. A day without a run gives `items: []`; a future day `422`.",
        ),
    ),
    api(
        "/feedback-requests/{request_id:id}/extra-feedback",
        write_extra_feedback,
        "POST",
        RouteDoc(
            "Write extra feedback on a recommended track",
            TAG,
            ExtraFeedback,
            response=ExtraFeedbackOut,
            status=201,
            errors=("already_submitted", "no_longer_needed"),
            description="Once per track, on a track recommended to the caller while it still needs feedback. The "
            "owner reads it at once with the feedback they received, can rate it and reply; it counts toward the "
            "writer's rating, and can clear the writer's oldest strike. A track never recommended to the caller is "
            "`404`.",
        ),
    ),
]
