"""Fetching track metadata (title, author, thumbnail, player) from the track's host, off the request path.

Providers sit behind `TrackProvider`; SoundCloud's public oEmbed endpoint is the one we have. Calls
have short timeouts, a size cap and no redirects; a failure is retried later with backoff.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol

import httpx
from starlette.datastructures import State

from db import feedback_requests
from db.connection import run_in_db
from db.media import HAS_METADATA

log = logging.getLogger("howsmytrack.tracks")
MAX_DOCUMENT_BYTES = 256 * 1024
TIMEOUT = httpx.Timeout(5.0, connect=3.0)
TrackInfo = dict[str, str | None]


class TrackProvider(Protocol):
    async def fetch(self, client: httpx.AsyncClient, url: str) -> TrackInfo: ...


class FetchFailed(Exception):
    pass


async def _get_json(client: httpx.AsyncClient, endpoint: str, params: dict[str, str]) -> dict[str, Any]:
    async with client.stream("GET", endpoint, params=params, follow_redirects=False, timeout=TIMEOUT) as response:
        if response.status_code != 200:
            raise FetchFailed(f"status {response.status_code}")
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > MAX_DOCUMENT_BYTES:
                raise FetchFailed("document too large")
    try:
        document = json.loads(bytes(body))
    except ValueError:
        raise FetchFailed("not JSON") from None
    if not isinstance(document, dict):
        raise FetchFailed("not a JSON object")
    return document


def _text(document: dict[str, Any], key: str, limit: int) -> str | None:
    value = document.get(key)
    return value[:limit] if isinstance(value, str) else None


class SoundCloudOEmbed:
    endpoint = "https://soundcloud.com/oembed"

    async def fetch(self, client: httpx.AsyncClient, url: str) -> TrackInfo:
        document = await _get_json(client, self.endpoint, {"format": "json", "url": url})
        thumbnail = _text(document, "thumbnail_url", 2000)
        return {
            "title": _text(document, "title", 500),
            "author_name": _text(document, "author_name", 500),
            "thumbnail_url": thumbnail if thumbnail and thumbnail.startswith("https://") else None,
            "embed_html": _text(document, "html", 20_000),
        }


PROVIDERS: dict[str, TrackProvider] = {"soundcloud": SoundCloudOEmbed()}
assert set(PROVIDERS) == HAS_METADATA, "db.media.HAS_METADATA names the media types that have a provider"


async def refresh_tracks(state: State, request_ids: list[int]) -> None:
    """Fetch and store metadata for those of `request_ids` that are due; never raises."""
    try:
        due = await run_in_db(feedback_requests.due_track_fetches, request_ids, sorted(PROVIDERS))
        for request_id, url, media_type in due:
            provider = PROVIDERS.get(media_type)
            if provider is None or not await run_in_db(feedback_requests.claim_track_fetch, request_id):
                continue
            try:
                track = await provider.fetch(state.http_client, url)
            except (httpx.HTTPError, FetchFailed) as error:
                log.info("track metadata for request %s not fetched: %s", request_id, error)
                continue
            await run_in_db(feedback_requests.store_track, request_id, url, track)
    except Exception:
        log.exception("track metadata refresh failed")
