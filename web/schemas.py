"""Request schemas (validated with pydantic) and response schemas (for the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from db.genres import GENRES
from db.media import MAX_URL_LENGTH
from db.passwords import MAX_LENGTH

GenreKey = Literal["electronic", "hip_hop", "jazz", "urban_rnb", "pop", "rock_metal_punk", "no_genre"]
assert set(GenreKey.__args__) == set(GENRES)  # type: ignore[attr-defined]

MAX_PROMPT = 2000
MAX_FEEDBACK = 10_000
MAX_REPLY = 5000


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def checked_email(value: str) -> str:
    """The one address rule, for every way an address enters (register, PATCH /me)."""
    value = value.strip()
    if not value.isascii():
        # Mail goes out without SMTPUTF8, and look-alike letters from other scripts make spoofed addresses.
        raise ValueError("must be written in plain ASCII characters")
    try:
        # ASCII addresses only (no SMTPUTF8), so every mail server can deliver to them.
        return validate_email(value, check_deliverability=False, allow_smtputf8=False).normalized
    except EmailNotValidError as error:
        raise ValueError(f"is not a valid email address ({error})") from None


# --- auth and account --------------------------------------------------------------------------


class Credentials(Body):
    email: str = Field(max_length=254)
    password: str = Field(max_length=MAX_LENGTH)


class Registration(Credentials):
    """The password rules are applied where the password is hashed (web/passwords.py)."""

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return checked_email(value)


class PasswordResetStart(Body):
    email: str = Field(max_length=254)


class PasswordResetConfirm(Body):
    token: str = Field(min_length=1, max_length=200)
    password: str = Field(max_length=MAX_LENGTH)


class MeUpdate(Body):
    email: str | None = Field(default=None, max_length=254)
    send_reminder_emails: bool | None = None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else checked_email(value)


class PasswordChange(Body):
    current_password: str = Field(max_length=MAX_LENGTH)
    new_password: str = Field(max_length=MAX_LENGTH)


# --- feedback requests -------------------------------------------------------------------------


class FeedbackRequestCreate(Body):
    media_url: str | None = Field(default=None, max_length=MAX_URL_LENGTH)
    genre: GenreKey = "no_genre"
    feedback_prompt: str = Field(default="", max_length=MAX_PROMPT)
    email_when_grouped: bool = False

    @field_validator("media_url")
    @classmethod
    def _trim(cls, value: str | None) -> str | None:
        value = value.strip() if value is not None else None
        return value or None


class FeedbackRequestUpdate(FeedbackRequestCreate):
    """Any of the create fields; only those present in the body change."""


class Page(BaseModel):
    model_config = ConfigDict(extra="forbid")
    page: int = Field(default=1, ge=1, le=1_000_000)
    per_page: int = Field(default=20, ge=1, le=100)


class FeedbackRequestFilter(Page):
    status: Literal["unassigned", "assigned"] | None = None


class MediaInfoQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(max_length=MAX_URL_LENGTH)


# --- responses and replies ---------------------------------------------------------------------


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value.strip()


class ResponseSubmit(Body):
    feedback: Annotated[str, Field(max_length=MAX_FEEDBACK), AfterValidator(_not_blank)]
    allow_replies: bool


class RatingSubmit(Body):
    rating: int = Field(ge=1, le=5)


class ReplyCreate(Body):
    text: Annotated[str, Field(max_length=MAX_REPLY), AfterValidator(_not_blank)]
    allow_replies: bool = True


class MarkRead(Body):
    reply_ids: list[Annotated[int, Field(ge=1, le=2**31 - 1)]] = Field(max_length=1000)


# --- response shapes (documentation) -----------------------------------------------------------


class Notifications(BaseModel):
    incomplete_responses: int
    unread_replies: int
    total: int


class UserOut(BaseModel):
    id: int
    email: str
    rating: float | None
    send_reminder_emails: bool
    is_admin: bool
    created_at: datetime
    notifications: Notifications


class UserEnvelope(BaseModel):
    user: UserOut


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"]
    expires_in: int


class Genre(BaseModel):
    key: str
    label: str


class MediaInfo(BaseModel):
    media_url: str
    media_type: Literal["soundcloud", "google_drive", "dropbox", "onedrive"] | None


class Track(BaseModel):
    title: str | None
    author_name: str | None
    thumbnail_url: str | None
    embed_html: str | None


class RequestOut(BaseModel):
    id: int
    media_url: str | None
    media_type: str | None
    genre: str
    feedback_prompt: str
    email_when_grouped: bool
    group_id: int | None
    created_at: datetime
    track: Track | None


class RequestEnvelope(BaseModel):
    request: RequestOut


class RequestPage(BaseModel):
    items: list[RequestOut]
    page: int
    per_page: int
    total: int


class ReviewedRequest(BaseModel):
    """A request as its reviewers see it (without `email_when_grouped`)."""

    id: int
    media_url: str | None
    media_type: str | None
    genre: str
    feedback_prompt: str
    group_id: int | None
    created_at: datetime
    track: Track | None


class ResponseOut(BaseModel):
    id: int
    request: ReviewedRequest
    feedback: str
    submitted: bool
    submitted_at: datetime | None
    allow_replies: bool
    rating: int | None
    replies: int
    unread_replies: int


class ResponseEnvelope(BaseModel):
    response: ResponseOut


class GroupSummary(BaseModel):
    id: int
    name: str
    created_at: datetime
    genres: list[str]
    members: int = Field(description="How many other members have a track.")
    trackless_members: int = Field(description="How many other members take part without a track.")
    to_review_total: int
    to_review_done: int
    received_count: int


class GroupPage(BaseModel):
    items: list[GroupSummary]
    page: int
    per_page: int
    total: int


class GroupOut(BaseModel):
    id: int
    name: str
    created_at: datetime
    genres: list[str]
    my_request: RequestOut
    members: int
    trackless_members: int
    to_review: list[ResponseOut]
    received_count: int
    received: list[ResponseOut] | None


class GroupEnvelope(BaseModel):
    group: GroupOut


class ReplyOut(BaseModel):
    id: int
    author: Literal["you", "them"]
    text: str
    allow_replies: bool
    created_at: datetime
    read_at: datetime | None


class ReplyEnvelope(BaseModel):
    reply: ReplyOut


class ReplyThread(BaseModel):
    replies: list[ReplyOut]
    allow_further_replies: bool


class Marked(BaseModel):
    marked: int


class Status(BaseModel):
    status: str


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: dict[str, str] | None = None


class ErrorOut(BaseModel):
    error: ErrorDetail
