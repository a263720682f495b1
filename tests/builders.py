"""Small builders: each test makes exactly the rows it needs."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import dataclass, field
from typing import Any

from db.connection import database
from db.genres import label
from db.models import FeedbackGroup, FeedbackRequest, FeedbackResponse, Reply, User, utcnow
from db.passwords import hash_password
from settings import Settings
from web.tokens import issue_token

PASSWORD = "correct horse battery"
PASSWORD_HASH = hash_password(PASSWORD)
_numbers = itertools.count(1)


# Words for feedback that passes the effort gate (db/effort.py): 40 or more, and each text unlike the others.
_VOCABULARY = [
    "kick",
    "snare",
    "bass",
    "pads",
    "vocal",
    "chorus",
    "verse",
    "bridge",
    "drop",
    "intro",
    "outro",
    "reverb",
    "delay",
    "compression",
    "sidechain",
    "stereo",
    "width",
    "low",
    "end",
    "mids",
    "highs",
    "hats",
    "groove",
    "swing",
    "melody",
    "chords",
    "hook",
    "lyrics",
    "tempo",
    "build",
    "tension",
    "release",
    "mastering",
    "loudness",
    "punch",
    "warmth",
    "clarity",
    "texture",
    "synth",
    "sample",
    "arrangement",
    "transition",
    "fill",
    "breakdown",
]


def feedback_text(lead: str = "", words: int = 45, rng: random.Random | None = None) -> str:
    """Feedback long enough for the effort gate and different from every other this run writes
    (or, with `rng`, drawn from it: the benchmarks' seeded runs)."""
    n = next(_numbers)
    picks = (rng or random.Random(n)).choices(_VOCABULARY, k=words)
    return " ".join(filter(None, [lead, f"(note {n})", *picks]))


def make_user(email: str | None = None, rating: float | None = None, **fields: Any) -> User:
    """A user with a confirmed address (pass `email_verified_at=None` for one without)."""
    fields.setdefault("email_verified_at", utcnow())
    with database.connection_context():
        return User.create(
            email=email or f"user{next(_numbers)}@example.com", password_hash=PASSWORD_HASH, rating=rating, **fields
        )


def bearer(settings: Settings, user: User) -> dict[str, str]:
    token, _ = issue_token(settings, user.id, user.token_version)
    return {"Authorization": f"Bearer {token}"}


def soundcloud_url() -> str:
    return f"https://soundcloud.com/artist{next(_numbers)}/track"


def make_request(user: User, tracked: bool = True, genre: str = "electronic", **fields: Any) -> FeedbackRequest:
    url = fields.pop("media_url", soundcloud_url() if tracked else None)
    with database.connection_context():
        return FeedbackRequest.create(
            user=user, media_url=url, media_type="soundcloud" if url else None, genre=genre, **fields
        )


@dataclass
class GroupFixture:
    group: FeedbackGroup
    users: list[User]
    requests: dict[int, FeedbackRequest] = field(default_factory=dict)  # by user id

    def response(self, writer: User, owner: User) -> FeedbackResponse:
        with database.connection_context():
            return FeedbackResponse.get(
                (FeedbackResponse.user == writer.id) & (FeedbackResponse.request == self.requests[owner.id].id)
            )

    def to_review(self, writer: User) -> list[FeedbackResponse]:
        with database.connection_context():
            return list(
                FeedbackResponse.select()
                .where((FeedbackResponse.user == writer.id) & (FeedbackResponse.group == self.group.id))
                .order_by(FeedbackResponse.id)
            )


def make_group(
    n: int = 4, trackless: int = 0, genre: str = "electronic", users: list[User] | None = None
) -> GroupFixture:
    """A group of `n` members with tracks plus `trackless` without, and the responses they owe."""
    members = users or [make_user() for _ in range(n + trackless)]
    with database.connection_context(), database.atomic():
        group = FeedbackGroup.create(name="", genres=genre, due_at=utcnow() + dt.timedelta(hours=72))
        group.name = f"Feedback Group #{group.id} - {label(genre)}"
        group.save()
        fixture = GroupFixture(group, members)
        for index, user in enumerate(members):
            url = soundcloud_url() if index < len(members) - trackless else None
            fixture.requests[user.id] = FeedbackRequest.create(
                user=user, media_url=url, media_type="soundcloud" if url else None, genre=genre, group=group
            )
        for writer in members:
            for owner in members:
                if owner.id != writer.id and fixture.requests[owner.id].media_url:
                    FeedbackResponse.create(request=fixture.requests[owner.id], user=writer, group=group)
    return fixture


def submit(response: FeedbackResponse, text: str = "Nice low end.", allow_replies: bool = True) -> None:
    with database.connection_context():
        FeedbackResponse.update(feedback=text, submitted_at=utcnow(), allow_replies=allow_replies).where(
            FeedbackResponse.id == response.id
        ).execute()


def rate(response: FeedbackResponse, rating: int) -> None:
    with database.connection_context():
        FeedbackResponse.update(rating=rating, rated_at=utcnow()).where(FeedbackResponse.id == response.id).execute()


def add_reply(response: FeedbackResponse, author: User, text: str = "Thanks!", allow_replies: bool = True) -> Reply:
    with database.connection_context():
        return Reply.create(response=response, author=author, text=text, allow_replies=allow_replies)
