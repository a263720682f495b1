"""Request schemas (validated with pydantic) and response schemas (for the OpenAPI document)."""

from __future__ import annotations

from datetime import date as dt_date
from datetime import datetime
from typing import Annotated, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.config import JsonDict

from db.aspects import ASPECTS, MAX_PER_REQUEST
from db.errors import ValidationFailed
from db.feedback_form import MAX_MARK_TEXT, MAX_MARKS, AspectAnswer, Guided, Mark, Submission
from db.genres import GENRES
from db.media import MAX_URL_LENGTH
from db.notifications import KINDS as NOTIFICATION_KINDS
from db.passwords import MAX_LENGTH, MIN_LENGTH
from web.error_codes import ERROR_CODES

NAMED = "x-named-schema"


def _named(name: str) -> WithJsonSchema:
    """Document a type as the shared component `name` (see NAMED_ENUMS), so request and response
    schemas refer to one enum and generated clients get one type. The OpenAPI builder turns the
    marker into a `$ref` (pydantic cannot resolve a reference to a component it did not make)."""
    return WithJsonSchema({NAMED: name})


GENRE_KEYS = ("electronic", "hip_hop", "jazz", "urban_rnb", "pop", "rock_metal_punk", "no_genre")
MEDIA_TYPES = ("soundcloud", "google_drive", "dropbox", "onedrive")
TRACK_STATUSES = ("pending", "ok", "failed")
assert set(GENRE_KEYS) == set(GENRES)
GenreKey = Annotated[
    Literal["electronic", "hip_hop", "jazz", "urban_rnb", "pop", "rock_metal_punk", "no_genre"], _named("GenreKey")
]
AspectKey = Annotated[
    Literal["mix", "arrangement", "melody_harmony", "sound_design", "vocals_lyrics", "mastering", "groove"],
    _named("AspectKey"),
]
ASPECT_KEYS = ("mix", "arrangement", "melody_harmony", "sound_design", "vocals_lyrics", "mastering", "groove")
assert list(ASPECT_KEYS) == list(ASPECTS)
MediaType = Annotated[Literal["soundcloud", "google_drive", "dropbox", "onedrive"], _named("MediaType")]
TrackStatus = Annotated[Literal["pending", "ok", "failed"], _named("TrackStatus")]
ErrorCode = Annotated[str, _named("ErrorCode")]
NotificationKind = Annotated[str, _named("NotificationKind")]
NAMED_ENUMS: dict[str, dict[str, object]] = {
    "GenreKey": {"type": "string", "enum": list(GENRE_KEYS), "description": "A genre's key (see GET /genres)."},
    "AspectKey": {
        "type": "string",
        "enum": list(ASPECT_KEYS),
        "description": "A focus aspect's key (see GET /aspects).",
    },
    "MediaType": {"type": "string", "enum": list(MEDIA_TYPES), "description": "The service a track link points to."},
    "TrackStatus": {
        "type": "string",
        "enum": list(TRACK_STATUSES),
        "description": "`pending` while the track's details are being fetched, `failed` once fetching gave up, "
        "`ok` otherwise (fetched, or a service that has none to give).",
    },
    "ErrorCode": {"type": "string", "enum": list(ERROR_CODES), "description": "Every machine-readable error code."},
    "NotificationKind": {
        "type": "string",
        "enum": list(NOTIFICATION_KINDS),
        "description": "What happened. An open set: later versions add kinds, and clients ignore kinds they do "
        "not know.",
    },
}
# Text that is not blank (at least one character other than white space) and holds no NUL (which no
# body may carry: PostgreSQL cannot store it), so the schema says all the body check refuses.
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"
# Not blank, on one line: no control characters (C0, DEL, C1) at all.
ONE_LINE_NOT_BLANK = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
EMAIL_FORMAT: JsonDict = {"format": "email"}
# What the schema can say of a new password; web/passwords.py applies the full rules (with their messages).
NEW_PASSWORD: JsonDict = {"minLength": MIN_LENGTH, "pattern": r"\D"}


def _whole_number(value: object) -> object:
    """JSON Schema counts 2.0 as an integer, so the API does too (2.5 stays refused)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _partial(schema: dict[str, object], nullable: tuple[str, ...]) -> None:
    """An update body's schema: no defaults (absent means unchanged) and null only where it means something."""
    properties = schema.get("properties", {})
    assert isinstance(properties, dict)
    for name, prop in properties.items():
        prop.pop("default", None)
        options = prop.get("anyOf")
        if name not in nullable and isinstance(options, list):
            kept = [option for option in options if option.get("type") != "null"]
            prop.pop("anyOf")
            prop.update(kept[0] if len(kept) == 1 else {"anyOf": kept})


MAX_PROMPT = 2000
MAX_FEEDBACK = 10_000
MAX_FORM_FIELD = 2000
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
    email: str = Field(max_length=254, json_schema_extra=EMAIL_FORMAT)
    password: str = Field(max_length=MAX_LENGTH)


class Registration(Credentials):
    """The password rules are applied where the password is hashed (web/passwords.py); the schema
    states the ones it can (length, not only digits)."""

    password: str = Field(max_length=MAX_LENGTH, json_schema_extra=NEW_PASSWORD)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return checked_email(value)


class PasswordResetStart(Body):
    email: str = Field(max_length=254, json_schema_extra=EMAIL_FORMAT)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return checked_email(value)


class PasswordResetConfirm(Body):
    token: str = Field(min_length=1, max_length=200)
    password: str = Field(max_length=MAX_LENGTH, json_schema_extra=NEW_PASSWORD)


class EmailVerificationConfirm(Body):
    token: str = Field(min_length=1, max_length=200)


class MeUpdate(Body):
    """Any of these fields; only those present change. A new `email` needs `current_password`."""

    model_config = ConfigDict(json_schema_extra=lambda schema: _partial(schema, nullable=()))
    email: str | None = Field(default=None, max_length=254, json_schema_extra=EMAIL_FORMAT)
    current_password: str | None = Field(default=None, max_length=MAX_LENGTH)
    send_reminder_emails: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: object) -> object:
        return _refuse_nulls(data, ("email", "current_password", "send_reminder_emails"))

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else checked_email(value)


class AccountDeletion(Body):
    password: str = Field(min_length=1, max_length=MAX_LENGTH)


class PasswordChange(Body):
    current_password: str = Field(max_length=MAX_LENGTH)
    new_password: str = Field(max_length=MAX_LENGTH, json_schema_extra=NEW_PASSWORD)


# --- feedback requests -------------------------------------------------------------------------


class FeedbackRequestCreate(Body):
    media_url: str | None = Field(default=None, max_length=MAX_URL_LENGTH)
    genre: GenreKey = "no_genre"
    feedback_prompt: str = Field(default="", max_length=MAX_PROMPT)
    email_when_grouped: bool = False
    aspects: list[AspectKey] = Field(
        default_factory=list,
        max_length=MAX_PER_REQUEST,
        description="Up to three focus aspects (GET /aspects) reviewers answer one by one.",
    )
    track_length_s: Seconds | None = Field(
        default=None, description="The track's length in whole seconds, when known: marks may not point past it."
    )

    @field_validator("aspects")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("names an aspect twice")
        return value

    @field_validator("media_url")
    @classmethod
    def _trim(cls, value: str | None) -> str | None:
        value = value.strip() if value is not None else None
        return value or None


class FeedbackRequestUpdate(FeedbackRequestCreate):
    """Any of the create fields; only those present in the body change (`media_url: null` makes the
    request trackless)."""

    model_config = ConfigDict(
        json_schema_extra=lambda schema: _partial(schema, nullable=("media_url", "track_length_s"))
    )

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: object) -> object:
        return _refuse_nulls(data, ("genre", "feedback_prompt", "email_when_grouped", "aspects"))


def _refuse_nulls(data: object, fields: tuple[str, ...]) -> object:
    if isinstance(data, dict):
        nulls = {
            name: "must not be null (leave it out to keep it as it is)" for name in fields if data.get(name, 0) is None
        }
        if nulls:
            raise ValidationFailed(nulls)
    return data


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


MAX_TRACK_SECONDS = 6 * 3600
Seconds = Annotated[int, Field(ge=0, le=MAX_TRACK_SECONDS), BeforeValidator(_whole_number)]
FormText = Annotated[str, Field(min_length=1, max_length=MAX_FORM_FIELD, pattern=NOT_BLANK), AfterValidator(_not_blank)]


class MarkIn(Body):
    """A note pinned to a moment of the track (`at_s`), or to a range (`at_s` to `to_s`), in whole seconds."""

    at_s: Seconds
    to_s: Seconds | None = None
    text: Annotated[
        str, Field(min_length=1, max_length=MAX_MARK_TEXT, pattern=ONE_LINE_NOT_BLANK), AfterValidator(_not_blank)
    ]

    @field_validator("to_s")
    @classmethod
    def _in_order(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and value < info.data.get("at_s", 0):
            raise ValueError("ends before the mark starts (at_s)")
        return value


class AspectAnswerIn(Body):
    text: FormText
    score: Annotated[int, Field(ge=1, le=5), BeforeValidator(_whole_number)] | None = Field(
        default=None, description="How well the track does on this aspect, 1-5 (optional)."
    )


class AspectAnswers(Body):
    """An answer per focus aspect (keys from GET /aspects)."""

    mix: AspectAnswerIn | None = None
    arrangement: AspectAnswerIn | None = None
    melody_harmony: AspectAnswerIn | None = None
    sound_design: AspectAnswerIn | None = None
    vocals_lyrics: AspectAnswerIn | None = None
    mastering: AspectAnswerIn | None = None
    groove: AspectAnswerIn | None = None

    def given(self) -> dict[str, AspectAnswerIn]:
        return {key: answer for key in ASPECT_KEYS if (answer := getattr(self, key)) is not None}


class GuidedIn(Body):
    """The guided form: an answer for each focus aspect the artist asked about (keys from GET
    /aspects; answers on aspects they did not ask about are kept as general notes), and three short
    fields."""

    aspects: AspectAnswers = Field(default_factory=lambda: AspectAnswers())
    strongest_moment: FormText
    biggest_problem: FormText
    next_step: FormText


class ResponseSubmit(Body):
    # Free text that is not blank, or the guided form (whose notes may be empty): without `guided`
    # (absent or null), `feedback` is required and not blank.
    model_config = ConfigDict(
        json_schema_extra={
            "if": {"properties": {"guided": {"type": "null"}}},
            "then": {"required": ["feedback"], "properties": {"feedback": {"pattern": NOT_BLANK}}},
        }
    )
    feedback: Annotated[str, Field(max_length=MAX_FEEDBACK, pattern=r"^[^\x00]*$")] = Field(
        default="",
        description="Free text. Required (not blank) without `guided`; with it, optional general notes.",
    )
    allow_replies: bool
    guided: GuidedIn | None = None
    marks: list[MarkIn] = Field(
        default_factory=list,
        max_length=MAX_MARKS,
        description="In any order; they may overlap. Times written in the text (`1:23`, `1:05-1:20`) become marks too.",
    )

    @model_validator(mode="after")
    def _something_written(self) -> ResponseSubmit:
        self.feedback = self.feedback.strip()
        if self.guided is None and not self.feedback:
            raise ValidationFailed({"feedback": "must not be blank"})
        return self

    def submission(self) -> Submission:
        guided = None
        if self.guided is not None:
            guided = Guided(
                {key: AspectAnswer(a.text, a.score) for key, a in self.guided.aspects.given().items()},
                self.guided.strongest_moment,
                self.guided.biggest_problem,
                self.guided.next_step,
            )
        marks = [Mark(mark.at_s, mark.to_s, mark.text) for mark in self.marks]
        return Submission(self.feedback, self.allow_replies, guided, marks)


class RatingSubmit(Body):
    rating: Annotated[int, Field(ge=1, le=5), BeforeValidator(_whole_number)]


class ReplyCreate(Body):
    text: Annotated[str, Field(min_length=1, max_length=MAX_REPLY, pattern=NOT_BLANK), AfterValidator(_not_blank)]
    allow_replies: bool = True


RowId = Annotated[int, Field(ge=1, le=2**31 - 1), BeforeValidator(_whole_number)]


class MarkRead(Body):
    reply_ids: list[RowId] = Field(max_length=1000)


# --- notifications -----------------------------------------------------------------------------


class NotificationFilter(Page):
    unread: bool = Field(default=False, description="Only the unread ones.")


def _exactly_one_field(schema: JsonDict) -> None:
    _partial(schema, nullable=())  # type: ignore[arg-type]
    schema.update(minProperties=1, maxProperties=1)


class MarkNotificationsRead(Body):
    """One of `ids` (your notifications to mark; others' are ignored), `group_id` (every one about
    that group: its page was visited) or `all: true`."""

    model_config = ConfigDict(json_schema_extra=_exactly_one_field)
    ids: list[RowId] | None = Field(default=None, max_length=1000)
    group_id: RowId | None = None
    all: Literal[True] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> MarkNotificationsRead:
        given = {name for name in self.model_fields_set if getattr(self, name) is not None}
        if len(self.model_fields_set) != 1 or not given:
            raise ValueError("give one of ids, group_id or all: true")
        return self


def _iso_day(value: str) -> str:
    dt_date.fromisoformat(value)  # a real day, or ValueError (422)
    return value


IsoDay = Annotated[
    str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$", json_schema_extra={"format": "date"}), AfterValidator(_iso_day)
]


class RecommendationQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    date: IsoDay | None = Field(
        default=None, description="A UTC day, `YYYY-MM-DD`; today when absent. Not a future day."
    )


class ExtraFeedback(ResponseSubmit):
    """The same body as feedback owed in a group."""


class StreamQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    last_event_id: int | None = Field(
        default=None, ge=0, le=2**31 - 1, description="Replay from after this id (as the `Last-Event-ID` header)."
    )


# --- response shapes (documentation) -----------------------------------------------------------


class Notifications(BaseModel):
    incomplete_responses: int
    unread_replies: int
    total: int = Field(description="`incomplete_responses` + `unread_replies`.")
    unread_notifications: int = Field(description="Unread items in the inbox (`GET /notifications`).")


class StrikeOut(BaseModel):
    group_id: int
    kind: Literal["no_show", "partial"] = Field(
        description="`no_show`: none of the feedback owed in that group was written by its deadline; "
        "`partial`: some but not all."
    )
    given_at: datetime
    expires_at: datetime


class Standing(BaseModel):
    strikes: list[StrikeOut] = Field(description="Active strikes, the soonest to expire first.")
    may_submit_tracks: bool = Field(description="False with two active strikes (requests without a track stay open).")
    how_to_clear: str


class UserOut(BaseModel):
    id: int
    email: str
    rating: float | None = Field(
        description="How useful the caller's feedback is rated (1-5): a Bayesian average corrected for each "
        "rater's leniency, recent ratings counting most; a newcomer starts at the site's mean. Null until the "
        "nightly job has run once for them. Only ever shown to its owner."
    )
    rating_percentile: int | None = Field(
        description="The share (0-100) of rated reviewers whose rating is below the caller's; null until someone "
        "has rated the caller's feedback."
    )
    send_reminder_emails: bool
    is_admin: bool
    created_at: datetime
    email_verified: bool = Field(
        description="Whether `email` is confirmed; until then only verification and "
        "password-reset emails are sent to it."
    )
    pending_email: str | None = Field(description="A new address waiting for its confirmation link.")
    notifications: Notifications
    standing: Standing


class AspectProgress(BaseModel):
    key: AspectKey
    asked: int = Field(description="How many of your grouped requests asked about it.")
    answers: int = Field(description="Answers reviewers wrote on it, over the feedback you can read.")
    mean_score: float | None = Field(description="The mean of the scores they gave it (1-5); null without any.")


class Moment(BaseModel):
    at_s: int
    to_s: int | None
    reviewers: int = Field(description="How many reviewers marked this moment.")
    notes: list[str] = Field(description="Up to three of their notes on it.")


class LatestTrack(BaseModel):
    request_id: int
    track_title: str | None
    reviewers: int = Field(description="How many reviewers' feedback on it you can read.")
    moments: list[Moment] = Field(description="The most marked moments, most reviewers first (at most 5).")


class Progress(BaseModel):
    aspects: list[AspectProgress]
    latest_track: LatestTrack | None


class UserEnvelope(BaseModel):
    user: UserOut


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"]
    expires_in: int


class Genre(BaseModel):
    key: GenreKey
    label: str


class MediaInfo(BaseModel):
    media_url: str
    media_type: MediaType | None = Field(description="null when the link is not one we accept")
    embed_url: str | None = Field(description="The player for an accepted link (as on a request); else null.")


class Track(BaseModel):
    title: str | None
    author_name: str | None
    thumbnail_url: str | None
    embed_html: str | None


ASPECTS_TEXT = "The focus aspects the artist asked reviewers about (GET /aspects), in list order."
TRACK_STATUS_TEXT = "null for a trackless request"
EMBED_TEXT = (
    "A player address built by the server from the parsed link (SoundCloud widget, Google Drive preview, "
    "Dropbox raw file, OneDrive embed): put it in an iframe (or, for Dropbox, an audio element); null without a track."
)


class RequestOut(BaseModel):
    id: int
    media_url: str | None
    media_type: MediaType | None
    genre: GenreKey
    feedback_prompt: str
    email_when_grouped: bool
    group_id: int | None
    created_at: datetime
    track: Track | None
    track_status: TrackStatus | None = Field(description=TRACK_STATUS_TEXT)
    embed_url: str | None = Field(description=EMBED_TEXT)
    aspects: list[AspectKey] = Field(description=ASPECTS_TEXT)
    track_length_s: int | None = Field(description="The track's length in whole seconds, when the artist gave it.")
    next_grouping_at: datetime | None = Field(
        description="When the next grouping run starts (UTC), while the request waits; null once grouped."
    )


class RequestEnvelope(BaseModel):
    request: RequestOut


class RequestPage(BaseModel):
    items: list[RequestOut]
    page: int
    per_page: int
    total: int
    has_next: bool


class ReviewedRequest(BaseModel):
    """A request as its reviewers see it (without `email_when_grouped`)."""

    id: int
    media_url: str | None
    media_type: MediaType | None
    genre: GenreKey
    feedback_prompt: str
    group_id: int | None
    created_at: datetime
    track: Track | None
    track_status: TrackStatus | None = Field(description=TRACK_STATUS_TEXT)
    embed_url: str | None = Field(description=EMBED_TEXT)
    aspects: list[AspectKey] = Field(description=ASPECTS_TEXT)
    track_length_s: int | None = Field(description="The track's length in whole seconds, when the artist gave it.")


REMOVED_TEXT = "A moderator removed this; its text is no longer shown (empty) and it does not count for ratings."


class MarkOut(BaseModel):
    at_s: int
    to_s: int | None
    text: str


class AspectOut(BaseModel):
    key: AspectKey
    label: str
    description: str


class AspectList(BaseModel):
    items: list[AspectOut]


class AspectAnswerOut(BaseModel):
    key: AspectKey
    text: str
    score: int | None


class GuidedOut(BaseModel):
    aspects: list[AspectAnswerOut] = Field(description="Answers on the aspects the artist asked about, in list order.")
    strongest_moment: str
    biggest_problem: str
    next_step: str
    notes: str = Field(description="General notes (with answers on aspects the artist did not ask about).")


class ResponseOut(BaseModel):
    id: int
    request: ReviewedRequest
    feedback: str = Field(
        description="The whole feedback as one text: with the guided form, its fields composed under headings."
    )
    guided: GuidedOut | None = Field(description="The guided form's fields; null for feedback written as free text.")
    marks: list[MarkOut] = Field(description="Notes pinned to moments of the track, by time.")
    removed_by_moderator: bool = Field(description=REMOVED_TEXT)
    submitted: bool
    submitted_at: datetime | None
    allow_replies: bool
    rating: int | None = Field(description="In `received`: the rating the caller gave; in `to_review`: always null.")
    replies: int
    unread_replies: int
    allow_further_replies: bool = Field(description="Whether the thread takes another reply now.")


class ResponseEnvelope(BaseModel):
    response: ResponseOut


SIZE_TEXT = "Everyone in the group, the caller included."
DUE_TEXT = (
    "When the members' feedback is due. Past it, a member who owed feedback gets a strike (see the user's "
    "`standing`). Null only for groups formed before deadlines existed."
)


class GroupSummary(BaseModel):
    id: int
    name: str
    created_at: datetime
    due_at: datetime | None = Field(description=DUE_TEXT)
    genres: list[GenreKey]
    size: int = Field(description=SIZE_TEXT)
    members: int = Field(description="How many other members have a track.")
    trackless_members: int = Field(description="How many other members take part without a track.")
    to_review_total: int
    to_review_done: int
    owed: int = Field(description="Feedback the caller still owes here.")
    received_count: int
    unlocked: bool = Field(description="Whether the caller can read the feedback on their track here.")
    unread_replies: int = Field(description="Replies the caller has not read on their threads here.")
    my_track_title: str | None = Field(description="The title of the caller's track, once fetched.")


class GroupPage(BaseModel):
    items: list[GroupSummary]
    page: int
    per_page: int
    total: int
    has_next: bool


class GroupOut(BaseModel):
    id: int
    name: str
    created_at: datetime
    due_at: datetime | None = Field(description=DUE_TEXT)
    genres: list[GenreKey]
    my_request: RequestOut
    size: int = Field(description=SIZE_TEXT)
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
    removed_by_moderator: bool = Field(description=REMOVED_TEXT)
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


class AccountExport(BaseModel):
    """Everything held about the caller (see db/account_lifecycle.py)."""

    exported_at: datetime
    user: dict[str, object]
    requests: list[dict[str, object]]
    feedback_written: list[dict[str, object]]
    feedback_received: list[dict[str, object]] = Field(description="Without who wrote it.")
    replies: list[dict[str, object]]
    strikes: list[dict[str, object]]
    notifications: list[dict[str, object]]


class RecommendationOut(BaseModel):
    rank: int = Field(description="1 is the best fit of the day.")
    request: ReviewedRequest
    missing: int = Field(description="Reviews the track still misses (0 once it has them all).")
    needed_until: datetime | None = Field(description="When the track leaves the pool; null once it has.")
    my_feedback: str | None = Field(description="What the caller wrote on it, once they have.")


class RecommendationDay(BaseModel):
    date: dt_date
    items: list[RecommendationOut]


class ExtraFeedbackOut(BaseModel):
    response_id: int


class NotificationOut(BaseModel):
    id: int
    kind: NotificationKind
    group_id: int | None
    request_id: int | None
    response_id: int | None = Field(description="Set only where the recipient may read that feedback or thread.")
    count: int | None = Field(
        description="`feedback_received`, `feedback_unlocked`: feedback submitted on the track so far."
    )
    created_at: datetime
    read_at: datetime | None
    group_name: str | None = Field(description="The group's name, when it is about one.")
    track_title: str | None = Field(description="The title of your own track it is about, when known.")


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    page: int
    per_page: int
    total: int
    has_next: bool


class Status(BaseModel):
    status: Literal["accepted", "ok", "ready"]


class ErrorDetail(BaseModel):
    model_config = ConfigDict(json_schema_extra=lambda schema: _partial(schema, nullable=()))
    code: ErrorCode
    message: str
    fields: dict[str, str] | None = Field(
        default=None, description="Validation errors only: each field that is not valid, and why."
    )


class ErrorOut(BaseModel):
    error: ErrorDetail
