"""The focus aspects an artist may ask reviewers about (up to three per request), in the order the
frontend lists them. The list is part of the API (`GET /aspects`): keys never change meaning."""

from __future__ import annotations

from dataclasses import dataclass

from db.errors import ValidationFailed

MAX_PER_REQUEST = 3


@dataclass(frozen=True)
class Aspect:
    key: str
    label: str
    description: str


ASPECTS: dict[str, Aspect] = {
    aspect.key: aspect
    for aspect in (
        Aspect("mix", "Mix", "Balance, levels, panning, EQ and space: can every part be heard as it should?"),
        Aspect("arrangement", "Arrangement", "Structure, transitions, build-ups and drops, what plays when."),
        Aspect("melody_harmony", "Melody & harmony", "Hooks, chords, progressions and how memorable they are."),
        Aspect("sound_design", "Sound design", "The choice and shaping of sounds: synths, samples, textures."),
        Aspect("vocals_lyrics", "Vocals & lyrics", "Performance, delivery, intelligibility and the words."),
        Aspect("mastering", "Mastering", "Loudness, dynamics and tone of the whole, and how it translates."),
        Aspect("groove", "Groove", "Rhythm, timing, swing and how the drums and bass lock together."),
    )
}


def label(key: str) -> str:
    return ASPECTS[key].label


def checked(keys: list[str], field: str = "aspects") -> list[str]:
    """Known, distinct keys, at most three, put in the documented order; refused with the field named."""
    unknown = [key for key in keys if key not in ASPECTS]
    if unknown:
        raise ValidationFailed({field: f"unknown aspect {unknown[0]!r}; see GET /aspects"})
    if len(set(keys)) != len(keys):
        raise ValidationFailed({field: "names an aspect twice"})
    if len(keys) > MAX_PER_REQUEST:
        raise ValidationFailed({field: f"may name at most {MAX_PER_REQUEST} aspects"})
    return [key for key in ASPECTS if key in keys]


def stored(keys: list[str]) -> str:
    return ",".join(keys)


def parsed(value: str | None) -> list[str]:
    return [key for key in (value or "").split(",") if key in ASPECTS]


def listing() -> dict[str, list[dict[str, str]]]:
    return {"items": [{"key": a.key, "label": a.label, "description": a.description} for a in ASPECTS.values()]}
