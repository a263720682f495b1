"""Users report feedback or a reply they received (moderation: web/admin.py, rules: db/reports.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from db import reports
from web.admin_schemas import ReportCreate, ReportCreated
from web.bodies import parse_body
from web.routing import RouteDoc, api, json_response
from web.session import with_user


async def create_report(request: Request) -> Response:
    body = await parse_body(request, ReportCreate)
    created = await with_user(request, reports.create_report, body.response_id, body.reply_id, body.reason, body.text)
    return json_response(created, 201)


routes = [
    api(
        "/reports",
        create_report,
        "POST",
        RouteDoc(
            "Report feedback or a reply",
            "feedback",
            ReportCreate,
            response=ReportCreated,
            status=201,
            errors=("not_found", "already_reported"),
            description="Feedback on your track that you can read (`response_id`), or a reply the other person "
            "wrote on a thread open to you (`reply_id`); once per item. Moderators see the report; you hear the "
            "outcome in your notifications. Anything you cannot read is `404`.",
        ),
    ),
]
