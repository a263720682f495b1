"""Groups the caller belongs to."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from db import groups
from web.bodies import parse_query
from web.routing import RouteDoc, api, conditional_json, json_response
from web.schemas import GroupEnvelope, GroupPage, Page
from web.session import with_user


async def list_groups(request: Request) -> Response:
    query = parse_query(request, Page)
    page = await with_user(request, lambda user: groups.list_groups(user.id, query.page, query.per_page))
    return json_response(page)


async def get_group(request: Request) -> Response:
    group_id = request.path_params["group_id"]
    group = await with_user(request, lambda user: groups.get_group(user.id, group_id))
    return conditional_json(request, {"group": group})


TAG = "groups"
routes = [
    api(
        "/groups",
        list_groups,
        "GET",
        RouteDoc(
            "The caller's groups, newest first",
            TAG,
            query=Page,
            response=GroupPage,
            description="Each with the counts a badge needs: what the caller still owes, their unread replies, "
            "whether their own feedback is unlocked, and their track's title.",
        ),
    ),
    api(
        "/groups/{group_id:id}",
        get_group,
        "GET",
        RouteDoc(
            "One of the caller's groups",
            TAG,
            response=GroupEnvelope,
            etag=True,
            description="`received` stays null until the caller has submitted every item of `to_review`; "
            "`received_count` is always shown. Members are counts and `received` is ordered by submission "
            "time: reviewers stay anonymous. Answers with an `ETag` for cheap polling.",
        ),
    ),
]
