"""Feedback requests: create, list, read, edit and withdraw while unassigned; track metadata storage."""

from __future__ import annotations

import datetime as dt
from typing import Any

from peewee import IntegrityError

from db import aspects, deadlines, notifications
from db.connection import database, writes
from db.errors import Conflict, NotFound, ValidationFailed
from db.media import ACCEPTED_FORMS, media_type
from db.models import FeedbackRequest, utcnow
from db.payloads import MAX_FETCH_ATTEMPTS, page_of, request_columns, request_payload
from db.rows import dict_rows, first_dict


def _select() -> Any:
    return FeedbackRequest.select(*request_columns(FeedbackRequest))


def _checked_media(url: str | None) -> str | None:
    if url is None:
        return None
    kind = media_type(url)
    if kind is None:
        message = f"This link is not one we can use. Accepted forms: {ACCEPTED_FORMS}."
        raise ValidationFailed({"media_url": "is not an accepted track link"}, "invalid_media_url", message)
    return kind


def _check_conflicts(user_id: int, url: str | None, exclude_id: int | None = None) -> None:
    """On create (no `exclude_id`): one waiting request per user. On edit: the edited request is
    the user's one waiting request, so only the track can clash. A track needs good standing."""
    if url is not None:
        deadlines.check_may_submit_track(user_id, utcnow())
    pending = FeedbackRequest.unassigned()
    if exclude_id is not None:
        pending = pending.where(FeedbackRequest.id != exclude_id)
    elif pending.where(FeedbackRequest.user == user_id).exists():
        raise Conflict("pending_request_exists", "You already have a request waiting for a group.")
    if url is not None and pending.where(FeedbackRequest.media_url == url).exists():
        raise Conflict("duplicate_track", "This track is already waiting for a group.")


def _owned(user_id: int, request_id: int) -> Any:
    row = first_dict(_select().where((FeedbackRequest.id == request_id) & (FeedbackRequest.user == user_id)))
    if row is None:
        raise NotFound()
    return row


def _track_fields(kind: str | None) -> dict[str, Any]:
    return {
        "track_title": None,
        "track_author_name": None,
        "track_thumbnail_url": None,
        "track_embed_html": None,
        "track_fetched_at": None,
        "track_fetch_attempts": 0,
        "track_next_fetch_at": utcnow() if kind is not None else None,
    }


def _columns(data: dict[str, Any]) -> dict[str, Any]:
    """Body fields as column values (the aspect list as its stored text)."""
    if "aspects" in data:
        data = data | {"aspects": aspects.stored(aspects.checked(data["aspects"]))}
    return data


def create_request(user_id: int, data: dict[str, Any]) -> dict[str, Any]:
    data = _columns(data)
    kind = _checked_media(data.get("media_url"))
    with database.atomic():
        _check_conflicts(user_id, data.get("media_url"))
        try:
            with database.atomic():
                request = FeedbackRequest.create(user=user_id, media_type=kind, **data, **_track_fields(kind))
        except IntegrityError:
            # A concurrent create won the race; report which rule it broke.
            _check_conflicts(user_id, data.get("media_url"))
            raise
    return request_payload(_owned(user_id, request.id))


def list_requests(user_id: int, status: str | None, page: int, per_page: int) -> dict[str, Any]:
    query = _select().where(FeedbackRequest.user == user_id)
    if status == "unassigned":
        query = query.where(FeedbackRequest.group.is_null())
    elif status == "assigned":
        query = query.where(FeedbackRequest.group.is_null(False))
    total = query.count()
    rows = dict_rows(
        query.order_by(FeedbackRequest.created_at.desc(), FeedbackRequest.id.desc()).paginate(page, per_page)
    )
    return page_of([request_payload(row) for row in rows], page, per_page, total)


def get_request(user_id: int, request_id: int) -> dict[str, Any]:
    return request_payload(_owned(user_id, request_id))


def update_request(user_id: int, request_id: int, changes: dict[str, Any]) -> dict[str, Any]:
    with database.atomic():
        current = _owned(user_id, request_id)
        if current["group_id"] is not None:
            raise Conflict("already_grouped", "This request is already in a group and can no longer change.")
        values = _columns(changes)
        if "media_url" in changes and changes["media_url"] != current["media_url"]:
            kind = _checked_media(changes["media_url"])
            _check_conflicts(user_id, changes["media_url"], exclude_id=request_id)
            values |= {"media_type": kind, **_track_fields(kind)}
        if values:
            try:
                with database.atomic():
                    updated = (
                        FeedbackRequest.update(values)
                        .where((FeedbackRequest.id == request_id) & FeedbackRequest.group.is_null())
                        .execute()
                    )
            except IntegrityError:
                raise Conflict("duplicate_track", "This track is already waiting for a group.") from None
            if not updated:
                raise Conflict("already_grouped", "This request is already in a group and can no longer change.")
        return request_payload(_owned(user_id, request_id))


def delete_request(user_id: int, request_id: int) -> None:
    with database.atomic():
        current = _owned(user_id, request_id)
        if current["group_id"] is not None:
            raise Conflict("already_grouped", "This request is already in a group and can no longer be withdrawn.")
        deleted = (
            FeedbackRequest.delete()
            .where((FeedbackRequest.id == request_id) & FeedbackRequest.group.is_null())
            .execute()
        )
        if not deleted:
            raise Conflict("already_grouped", "This request is already in a group and can no longer be withdrawn.")
        # Recorded for the inbox and the user's other tabs; read already, as they did it themselves.
        notifications.notify(user_id, notifications.REQUEST_WITHDRAWN, request_id=request_id, read=True)


# --- track metadata ---------------------------------------------------------------------------


def due_track_fetches(request_ids: list[int], media_types: list[str]) -> list[tuple[int, str, str]]:
    """Of these requests, those of `media_types` whose metadata should be fetched now: (id, url, type)."""
    if not request_ids:
        return []
    rows = FeedbackRequest.select(FeedbackRequest.id, FeedbackRequest.media_url, FeedbackRequest.media_type).where(
        FeedbackRequest.id.in_(request_ids)
        & FeedbackRequest.track_fetched_at.is_null()
        & FeedbackRequest.media_type.in_(media_types)
        & (FeedbackRequest.track_next_fetch_at <= utcnow())
        & (FeedbackRequest.track_fetch_attempts < MAX_FETCH_ATTEMPTS)
    )
    return [(row.id, str(row.media_url), str(row.media_type)) for row in rows]


@writes
def claim_track_fetch(request_id: int) -> bool:
    """Push the next attempt into the future before fetching, so concurrent readers do not fetch twice."""
    with database.atomic():
        attempts = FeedbackRequest.select(FeedbackRequest.track_fetch_attempts).where(FeedbackRequest.id == request_id)
        current = attempts.scalar()
        if current is None:
            return False
        backoff = dt.timedelta(minutes=min(2**current, 24 * 60))
        claimed = (
            FeedbackRequest.update(
                track_fetch_attempts=FeedbackRequest.track_fetch_attempts + 1,
                track_next_fetch_at=utcnow() + backoff,
            )
            .where(
                (FeedbackRequest.id == request_id)
                & (FeedbackRequest.track_fetch_attempts == current)
                & FeedbackRequest.track_fetched_at.is_null()
            )
            .execute()
        )
        return bool(claimed)


@writes
def store_track(request_id: int, url: str, track: dict[str, str | None]) -> None:
    """Save fetched metadata, unless the request's link changed meanwhile."""
    with database.atomic():
        FeedbackRequest.update(
            track_title=track.get("title"),
            track_author_name=track.get("author_name"),
            track_thumbnail_url=track.get("thumbnail_url"),
            track_embed_html=track.get("embed_html"),
            track_fetched_at=utcnow(),
            track_next_fetch_at=None,
        ).where((FeedbackRequest.id == request_id) & (FeedbackRequest.media_url == url)).execute()
