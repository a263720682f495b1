"""The genres a request can be filed under, in the order the frontend lists them."""

from __future__ import annotations

GENRES: dict[str, str] = {
    "electronic": "Electronic",
    "hip_hop": "Hip Hop",
    "jazz": "Jazz",
    "urban_rnb": "Urban/R&B",
    "pop": "Pop",
    "rock_metal_punk": "Rock/Metal/Punk",
    "no_genre": "No Genre",
}
DEFAULT_GENRE = "no_genre"


def label(key: str) -> str:
    return GENRES.get(key, key.replace("_", " ").title())
