"""Accepted track links, parsed (never substring-matched): https only, exact hosts, known paths."""

from __future__ import annotations

import functools
import re
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

ACCEPTED_FORMS = (
    "https://soundcloud.com/<artist>/<track> (optionally /<secret>), "
    "https://drive.google.com/file/d/<id>/view, "
    "https://www.dropbox.com/s/<key>/<filename> or https://www.dropbox.com/scl/fi/<key>/<filename>, "
    "or a https://onedrive.live.com/ share link carrying authkey, cid and id (or resid)"
)
MAX_URL_LENGTH = 2000

_SEGMENT = re.compile(r"^[A-Za-z0-9._~%-]+$")
# SoundCloud paths that are not "<artist>/<track>" even though they have the same shape.
_SOUNDCLOUD_RESERVED = {"discover", "search", "stream", "upload", "you", "settings", "charts", "pages", "stations"}


def _segments(path: str) -> list[str] | None:
    parts = path.split("/")
    if parts[0] != "":
        return None
    parts = parts[1:]
    if parts and parts[-1] == "":
        parts = parts[:-1]
    if not all(_SEGMENT.match(part) for part in parts):
        return None
    return parts


def media_type(url: str | None) -> str | None:
    """`soundcloud`, `google_drive`, `dropbox` or `onedrive` for an accepted link, else None."""
    if not url or len(url) > MAX_URL_LENGTH or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme != "https" or parts.username or parts.password or port not in (None, 443):
        return None
    host = (parts.hostname or "").lower()
    segments = _segments(parts.path)
    if segments is None:
        return None
    if host in ("soundcloud.com", "www.soundcloud.com", "m.soundcloud.com"):
        if len(segments) in (2, 3) and segments[0].lower() not in _SOUNDCLOUD_RESERVED and segments[1] != "sets":
            return "soundcloud"
    elif host == "drive.google.com":
        if len(segments) == 4 and segments[:2] == ["file", "d"] and segments[3] == "view":
            return "google_drive"
    elif host in ("www.dropbox.com", "dropbox.com"):
        if len(segments) == 3 and segments[0] == "s":
            return "dropbox"
        if len(segments) in (3, 4) and segments[:2] == ["scl", "fi"]:
            return "dropbox"
    elif host == "onedrive.live.com":
        query = parse_qs(parts.query)
        if "authkey" in query and "cid" in query and ("id" in query or "resid" in query):
            return "onedrive"
    return None


# Media types whose track details (title, artist, artwork) a metadata service gives us.
HAS_METADATA = frozenset({"soundcloud"})


@functools.lru_cache(maxsize=2048)
def embed_url(url: str | None) -> str | None:
    """A player address for an accepted link, built from its parsed parts (never from fetched HTML):
    SoundCloud's widget, Google Drive's preview, Dropbox's raw file, OneDrive's embed page.

    Kept for the links seen lately: a group page shows several, and parsing them again took 6 % of
    a worker's time serving it."""
    kind = media_type(url)
    if url is None or kind is None:
        return None
    parts = urlsplit(url)
    segments = _segments(parts.path) or []
    if kind == "soundcloud":
        return "https://w.soundcloud.com/player/?" + urlencode({"url": url})
    if kind == "google_drive":
        return f"https://drive.google.com/file/d/{segments[2]}/preview"
    if kind == "dropbox":
        kept = [(key, value) for key, value in parse_qsl(parts.query) if key not in ("dl", "raw")]
        return "https://www.dropbox.com" + parts.path + "?" + urlencode([*kept, ("raw", "1")])
    found = parse_qs(parts.query)
    embed = {
        "cid": found["cid"][0],
        "resid": (found.get("resid") or found["id"])[0],
        "authkey": found["authkey"][0],
    }
    return "https://onedrive.live.com/embed?" + urlencode(embed)
