"""Admin routes (`/admin/...`): lists with filters, sorts and CSV exports, details, moderation,
bans, the audit log and statistics. Admins only; anyone else is told nothing is here (404)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from db import admin_details, admin_lists, bans, reports, stats
from db.audit import Actor
from db.connection import database
from db.errors import ValidationFailed
from db.listings import Listing, to_csv
from db.models import utcnow
from web import admin_schemas as s
from web.bodies import parse_body, parse_query
from web.routing import RouteDoc, api, json_response
from web.session import with_admin

TAG = "admin"
ADMIN_TEXT = " Admins only (anyone else: `404`)."


def _given(query: BaseModel) -> dict[str, Any]:
    """A filter's values as the listing takes them: days become the start of the day (`_from`)
    or the start of the next (`_to` becomes `_before`: the whole day included)."""
    given: dict[str, Any] = {"now": utcnow()}
    for name, value in query.model_dump(exclude={"page", "per_page", "sort"}).items():
        if value is not None and name.endswith(("_from", "_to")):
            start = dt.datetime.combine(dt.date.fromisoformat(value), dt.time())
            if name.endswith("_to"):
                name, start = name[: -len("_to")] + "_before", start + dt.timedelta(days=1)
            value = start
        given[name] = value
    return given


def _csv(name: str, text: str) -> Response:
    day = utcnow().date().isoformat()
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="howsmytrack-{name}-{day}.csv"'},
    )


def listing_routes(
    path: str, listing: Listing, filters: type[BaseModel], query: type[BaseModel], answer: type[BaseModel], what: str
) -> list[Route]:
    """`GET path` (a JSON page) and `GET path.csv` (every matching row), from one listing."""

    async def page(request: Request) -> Response:
        q = parse_query(request, query)
        found = await with_admin(
            request,
            lambda _actor: listing.page(_given(q), q.sort, q.page, q.per_page),  # type: ignore[attr-defined]
        )
        return json_response(found)

    async def export(request: Request) -> Response:
        q = parse_query(request, filters)
        text = await with_admin(request, lambda _actor: listing.csv(_given(q), q.sort))  # type: ignore[attr-defined]
        return _csv(path.rsplit("/", 1)[-1], text)

    name = path.rsplit("/", 1)[-1].replace("-", "_")
    page.__name__, export.__name__ = f"admin_{name}", f"admin_{name}_csv"
    return [
        api(
            path,
            page,
            "GET",
            RouteDoc(
                f"List {what}",
                TAG,
                query=query,
                response=answer,
                admin=True,
                description=f"{what.capitalize()}, paged, filtered and sorted.{ADMIN_TEXT}",
            ),
        ),
        api(
            path + ".csv",
            export,
            "GET",
            RouteDoc(
                f"Export {what} as CSV",
                TAG,
                query=filters,
                admin=True,
                media_type="text/csv",
                description=f"Every {what[:-1] if what.endswith('s') else what} "
                "matching the filters (at most 100,000), as CSV, in the list's "
                f"order.{ADMIN_TEXT}",
            ),
        ),
    ]


def _detail(fn: Callable[[int], dict[str, Any]], key: str) -> Callable[[Request], Awaitable[Response]]:
    async def detail(request: Request) -> Response:
        found = await with_admin(request, lambda _actor: fn(request.path_params[f"{key}_id"]))
        return json_response({key: found})

    detail.__name__ = f"admin_{key}"
    return detail


admin_user = _detail(admin_details.user_detail, "user")
admin_group = _detail(admin_details.group_detail, "group")
admin_report = _detail(reports.report_detail, "report")


def _ban(actor: Actor, user_id: int, reason: str) -> dict[str, Any]:
    with database.atomic():
        bans.ban(actor, user_id, reason)
    return admin_details.user_detail(user_id)


def _unban(actor: Actor, user_id: int, reason: str) -> dict[str, Any]:
    with database.atomic():
        bans.unban(actor, user_id, reason)
    return admin_details.user_detail(user_id)


async def ban_user(request: Request) -> Response:
    body = await parse_body(request, s.ReasonBody)
    return json_response({"user": await with_admin(request, _ban, request.path_params["user_id"], body.reason)})


async def unban_user(request: Request) -> Response:
    body = await parse_body(request, s.ReasonBody)
    return json_response({"user": await with_admin(request, _unban, request.path_params["user_id"], body.reason)})


async def resolve_report(request: Request) -> Response:
    body = await parse_body(request, s.ResolveBody)
    report = await with_admin(request, reports.resolve, request.path_params["report_id"], body.action, body.note)
    return json_response({"report": report})


async def restore_reported_item(request: Request) -> Response:
    body = await parse_body(request, s.NoteBody)
    report = await with_admin(request, reports.restore, request.path_params["report_id"], body.note)
    return json_response({"report": report})


def _stats_span(query: s.StatsQuery) -> tuple[dt.date, dt.date, dt.date]:
    today = utcnow().date()
    last = dt.date.fromisoformat(query.to) if query.to else today
    if not query.from_ and last < dt.date.min + dt.timedelta(days=29):
        raise ValidationFailed({"to": "is too early: the range would start before the year 1"})
    first = dt.date.fromisoformat(query.from_) if query.from_ else last - dt.timedelta(days=29)
    if first > last:
        raise ValidationFailed({"from": "must not be after `to`"})
    if (last - first).days >= stats.MAX_RANGE_DAYS:
        raise ValidationFailed({"from": f"the range may span at most {stats.MAX_RANGE_DAYS} days"})
    return first, last, today


async def admin_stats(request: Request) -> Response:
    first, last, today = _stats_span(parse_query(request, s.StatsQuery))
    days = await with_admin(request, lambda _actor: stats.series(first, last, today))
    return json_response({"from": first.isoformat(), "to": last.isoformat(), "days": days})


async def admin_stats_csv(request: Request) -> Response:
    first, last, today = _stats_span(parse_query(request, s.StatsQuery))
    days = await with_admin(request, lambda _actor: stats.series(first, last, today))
    return _csv("stats", to_csv([stats.flat(day) for day in days]))


routes = [
    *listing_routes("/admin/users", admin_lists.USERS, s.UserFilter, s.UserListQuery, s.AdminUserPage, "users"),
    api(
        "/admin/users/{user_id:id}",
        admin_user,
        "GET",
        RouteDoc(
            "One user, in full",
            TAG,
            response=s.AdminUserEnvelope,
            admin=True,
            description="A user with their requests, groups, feedback written and received, mean ratings received and "
            f"given, and the reports against them.{ADMIN_TEXT}",
        ),
    ),
    api(
        "/admin/users/{user_id:id}/ban",
        ban_user,
        "POST",
        RouteDoc(
            "Ban a user",
            TAG,
            s.ReasonBody,
            response=s.AdminUserEnvelope,
            admin=True,
            errors=("already_banned", "cannot_ban_admin"),
            description="At once: every token of theirs stops working and their live streams end; they cannot sign in "
            "(`403 account_banned`, with the reason); their waiting request is withdrawn and they are never grouped; "
            "what they owe in current groups is dropped, and their tracks leave others' review lists. "
            f"Recorded in the audit log.{ADMIN_TEXT}",
        ),
    ),
    api(
        "/admin/users/{user_id:id}/unban",
        unban_user,
        "POST",
        RouteDoc(
            "Lift a ban",
            TAG,
            s.ReasonBody,
            response=s.AdminUserEnvelope,
            admin=True,
            errors=("not_banned",),
            description=f"They may sign in again; what the ban withdrew stays withdrawn. In the audit log.{ADMIN_TEXT}",
        ),
    ),
    *listing_routes(
        "/admin/requests", admin_lists.REQUESTS, s.RequestFilter, s.RequestListQuery, s.AdminRequestPage, "requests"
    ),
    *listing_routes("/admin/groups", admin_lists.GROUPS, s.GroupFilter, s.GroupListQuery, s.AdminGroupPage, "groups"),
    api(
        "/admin/groups/{group_id:id}",
        admin_group,
        "GET",
        RouteDoc(
            "One group, with who owes what",
            TAG,
            response=s.AdminGroupEnvelope,
            admin=True,
            description="The members (with their emails) and every piece of feedback owed in the group: who writes to "
            f"whom, whether it is written and rated. Members never see these identities.{ADMIN_TEXT}",
        ),
    ),
    *listing_routes(
        "/admin/job-runs", admin_lists.JOB_RUNS, s.JobRunFilter, s.JobRunListQuery, s.JobRunPage, "job runs"
    ),
    *listing_routes("/admin/reports", admin_lists.REPORTS, s.ReportFilter, s.ReportListQuery, s.ReportPage, "reports"),
    api(
        "/admin/reports/{report_id:id}",
        admin_report,
        "GET",
        RouteDoc(
            "One report, with its context",
            TAG,
            response=s.ReportEnvelope,
            admin=True,
            description="The report, the reported text, its thread and group, and the writer's history of reports."
            + ADMIN_TEXT,
        ),
    ),
    api(
        "/admin/reports/{report_id:id}/resolve",
        resolve_report,
        "POST",
        RouteDoc(
            "Resolve a report",
            TAG,
            s.ResolveBody,
            response=s.ReportEnvelope,
            admin=True,
            errors=("already_resolved", "already_banned", "cannot_ban_admin"),
            description="One action settles every open report on the same item: `dismiss`; `hide` (the owner sees it "
            "as removed by a moderator; it no longer counts for the writer's rating); `warn` the writer; `ban` the "
            "writer (and hide the item). The reporters hear the outcome, the writer what was done (neither learns who "
            f"the other is). Recorded once in the audit log.{ADMIN_TEXT}",
        ),
    ),
    api(
        "/admin/reports/{report_id:id}/restore",
        restore_reported_item,
        "POST",
        RouteDoc(
            "Undo a hide",
            TAG,
            s.NoteBody,
            response=s.ReportEnvelope,
            admin=True,
            errors=("not_hidden",),
            description="The reported item shows again where it was hidden (the report keeps its outcome). The "
            f"note goes into the audit log.{ADMIN_TEXT}",
        ),
    ),
    *listing_routes(
        "/admin/audit-log", admin_lists.AUDIT_LOG, s.AuditFilter, s.AuditListQuery, s.AuditPage, "audit log entries"
    ),
    api(
        "/admin/stats",
        admin_stats,
        "GET",
        RouteDoc(
            "The service's daily statistics",
            TAG,
            query=s.StatsQuery,
            response=s.StatsSeries,
            admin=True,
            description="The figures `compute_stats` stored for each day in the range, and today's computed live. "
            f"At most 366 days.{ADMIN_TEXT}",
        ),
    ),
    api(
        "/admin/stats.csv",
        admin_stats_csv,
        "GET",
        RouteDoc(
            "Export the daily statistics as CSV",
            TAG,
            query=s.StatsQuery,
            admin=True,
            media_type="text/csv",
            description=f"One line per day; nested figures as `a.b` columns.{ADMIN_TEXT}",
        ),
    ),
]
