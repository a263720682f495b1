"""The admin routes' query, body and answer shapes (validated with pydantic; documented in OpenAPI)."""

from __future__ import annotations

from datetime import date as dt_date
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.config import JsonDict

from db.reports import REASONS
from web.schemas import NOT_BLANK, Body, GenreKey, IsoDay, Page, RowId, _not_blank, _partial

assert REASONS == ("abusive", "spam", "low_effort", "other")
Reason = Literal["abusive", "spam", "low_effort", "other"]
ReportState = Literal["open", "dismissed", "hidden", "warned", "banned"]
Outcome = Literal["running", "ok", "partial", "failed", "skipped"]
MAX_NOTE = 2000
Note = Annotated[str, Field(min_length=1, max_length=MAX_NOTE, pattern=NOT_BLANK), AfterValidator(_not_blank)]


class Filter(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- queries --------------------------------------------------------------------------------------


class UserFilter(Filter):
    q: str | None = Field(default=None, min_length=1, max_length=254, description="Part of the email address.")
    rating_min: float | None = Field(default=None, ge=1, le=5)
    rating_max: float | None = Field(default=None, ge=1, le=5)
    admin: bool | None = None
    banned: bool | None = None
    joined_from: IsoDay | None = Field(default=None, description="Joined on or after this UTC day.")
    joined_to: IsoDay | None = Field(default=None, description="Joined on or before this UTC day.")
    min_strikes: int | None = Field(default=None, ge=0, le=100, description="At least this many active strikes.")
    sort: Literal["created_at", "-created_at", "email", "-email", "rating", "-rating", "strikes", "-strikes"] = (
        "-created_at"
    )


class UserListQuery(UserFilter, Page):
    pass


class RequestFilter(Filter):
    state: Literal["waiting", "grouped"] | None = None
    genre: GenreKey | None = None
    tracked: bool | None = None
    user_id: RowId | None = None
    created_from: IsoDay | None = None
    created_to: IsoDay | None = None
    sort: Literal["created_at", "-created_at", "genre", "-genre"] = "-created_at"


class RequestListQuery(RequestFilter, Page):
    pass


class GroupFilter(Filter):
    state: Literal["open", "closed"] | None = None
    genre: GenreKey | None = None
    created_from: IsoDay | None = None
    created_to: IsoDay | None = None
    sort: Literal["created_at", "-created_at", "due_at", "-due_at", "size", "-size"] = "-created_at"


class GroupListQuery(GroupFilter, Page):
    pass


class JobRunFilter(Filter):
    job: str | None = Field(default=None, min_length=1, max_length=50)
    outcome: Outcome | None = None
    started_from: IsoDay | None = None
    started_to: IsoDay | None = None
    sort: Literal["started_at", "-started_at"] = "-started_at"


class JobRunListQuery(JobRunFilter, Page):
    pass


class ReportFilter(Filter):
    state: ReportState | None = Field(default=None, description="`open`: the moderation queue.")
    reason: Reason | None = None
    writer_id: RowId | None = None
    sort: Literal["created_at", "-created_at"] = Field(default="created_at", description="Oldest first by default.")


class ReportListQuery(ReportFilter, Page):
    pass


class AuditFilter(Filter):
    action: str | None = Field(default=None, min_length=1, max_length=40)
    actor_id: RowId | None = None
    target_type: Literal["user", "report"] | None = None
    target_id: RowId | None = None
    sort: Literal["created_at", "-created_at"] = "-created_at"


class AuditListQuery(AuditFilter, Page):
    pass


class StatsQuery(Filter):
    model_config = ConfigDict(extra="forbid", populate_by_name=False)
    from_: IsoDay | None = Field(
        default=None, alias="from", description="First UTC day; 29 days before `to` by default."
    )
    to: IsoDay | None = Field(default=None, description="Last UTC day; today by default.")


# --- bodies ---------------------------------------------------------------------------------------


class ReasonBody(Body):
    reason: Note


class NoteBody(Body):
    note: Note = Field(description="Why, for the audit log.")


def _one_item_schema(schema: JsonDict) -> None:
    _partial(schema, nullable=())  # type: ignore[arg-type]
    schema["oneOf"] = [{"required": ["response_id"]}, {"required": ["reply_id"]}]


class ReportCreate(Body):
    """Exactly one of `response_id` (feedback on your track) and `reply_id` (a reply to you)."""

    model_config = ConfigDict(json_schema_extra=_one_item_schema)
    response_id: RowId | None = None
    reply_id: RowId | None = None
    reason: Reason
    text: str = Field(default="", max_length=MAX_NOTE)

    @model_validator(mode="after")
    def _one_item(self) -> ReportCreate:
        given = {name for name in ("response_id", "reply_id") if name in self.model_fields_set}
        if len(given) != 1 or getattr(self, given.pop()) is None:
            raise ValueError("give exactly one of response_id and reply_id")
        return self


class ResolveBody(Body):
    action: Literal["dismiss", "hide", "warn", "ban"] = Field(
        description="`hide` removes the item; `ban` bans its writer and removes it too."
    )
    note: Note = Field(description="Why, for the audit log (and a ban's reason, which the writer sees).")


# --- answers --------------------------------------------------------------------------------------


class Who(BaseModel):
    id: int
    email: str


class AdminUser(BaseModel):
    id: int
    email: str
    rating: float | None
    is_admin: bool
    created_at: datetime
    email_verified: bool
    banned: bool
    banned_at: datetime | None
    ban_reason: str | None
    deleted: bool
    active_strikes: int
    reports_against: int


class PageInfo(BaseModel):
    page: int
    per_page: int
    total: int
    has_next: bool


class AdminUserPage(PageInfo):
    items: list[AdminUser]


class UserRequest(BaseModel):
    id: int
    genre: GenreKey
    media_url: str | None
    track_title: str | None
    created_at: datetime
    group_id: int | None


class UserGroup(BaseModel):
    id: int
    name: str
    created_at: datetime
    due_at: datetime | None
    closed_at: datetime | None


class ReportBrief(BaseModel):
    id: int
    reason: Reason
    state: ReportState
    created_at: datetime


class FeedbackRefusals(BaseModel):
    """How often the effort gate refused this reviewer's feedback, by reason."""

    too_short: int = Field(description="Fewer than 40 words over all the fields.")
    repeated: int = Field(description="80 % or more the same as one of their last 50 responses.")


class AdminUserDetail(AdminUser):
    feedback_written: int
    feedback_received: int
    feedback_owed: int
    feedback_refusals: FeedbackRefusals
    mean_rating_received: float | None
    mean_rating_given: float | None
    requests: list[UserRequest] = Field(description="The latest 50.")
    groups: list[UserGroup] = Field(description="The latest 50.")
    reports: list[ReportBrief] = Field(description="Reports against the user's writing, the latest 50.")


class AdminUserEnvelope(BaseModel):
    user: AdminUserDetail


class AdminRequest(BaseModel):
    id: int
    user: Who
    genre: GenreKey
    media_url: str | None
    media_type: str | None
    track_title: str | None
    created_at: datetime
    state: Literal["waiting", "grouped"]
    group_id: int | None


class AdminRequestPage(PageInfo):
    items: list[AdminRequest]


class AdminGroup(BaseModel):
    id: int
    name: str
    genres: list[GenreKey]
    created_at: datetime
    due_at: datetime | None
    closed_at: datetime | None
    state: Literal["open", "closed"]
    size: int
    feedback_owed: int = Field(description="Feedback the members owe each other in all (written or not).")
    feedback_written: int


class AdminGroupPage(PageInfo):
    items: list[AdminGroup]


class GroupMember(BaseModel):
    request_id: int
    user: Who
    media_url: str | None
    track_title: str | None
    genre: GenreKey
    feedback_to_write: int
    feedback_written: int
    feedback_received: int


class GroupResponse(BaseModel):
    id: int
    writer_id: int
    owner_id: int
    submitted_at: datetime | None
    rating: int | None
    hidden: bool


class AdminGroupDetail(AdminGroup):
    members: list[GroupMember]
    responses: list[GroupResponse] = Field(description="Who owes (or wrote) feedback to whom.")


class AdminGroupEnvelope(BaseModel):
    group: AdminGroupDetail


class JobRunOut(BaseModel):
    id: int
    job: str
    started_at: datetime
    finished_at: datetime | None
    duration_seconds: float | None
    outcome: str
    counts: dict[str, int]
    error: str | None


class JobRunPage(PageInfo):
    items: list[JobRunOut]


class ReportedItem(BaseModel):
    type: Literal["response", "reply"]
    id: int


class ReportOut(BaseModel):
    id: int
    reason: Reason
    text: str
    state: ReportState
    created_at: datetime
    resolved_at: datetime | None
    item: ReportedItem
    reporter: Who
    writer: Who


class ReportListItem(ReportOut):
    excerpt: str = Field(description="The first 200 characters of the reported text.")


class ReportPage(PageInfo):
    items: list[ReportListItem]


class ContextFeedback(BaseModel):
    id: int
    text: str
    submitted_at: datetime | None
    rating: int | None
    hidden: bool
    extra: bool
    writer: Who


class ContextTrack(BaseModel):
    request_id: int
    media_url: str | None
    genre: GenreKey
    owner: Who


class ContextGroup(BaseModel):
    id: int
    name: str
    created_at: datetime
    due_at: datetime | None


class ContextReply(BaseModel):
    id: int
    author: Who
    text: str
    created_at: datetime
    hidden: bool


class PastReport(BaseModel):
    id: int
    reason: Reason
    state: ReportState
    created_at: datetime
    item: ReportedItem


class ReportDetail(ReportOut):
    feedback: ContextFeedback = Field(description="The reported feedback, or the feedback the reported reply is on.")
    track: ContextTrack
    group: ContextGroup
    replies: list[ContextReply]
    writer_history: list[PastReport] = Field(description="Reports against the writer, the latest 50.")


class ReportEnvelope(BaseModel):
    report: ReportDetail


class ReportCreated(BaseModel):
    id: int
    reason: Reason
    state: Literal["open"]
    created_at: datetime


class AuditEntry(BaseModel):
    id: int
    actor_id: int | None = Field(description="The admin; null for the command line.")
    actor: str = Field(description="The admin's current email, `deleted account`, or `command line`.")
    action: str
    target_type: str
    target_id: int | None
    target_email: str | None = Field(description="A user target's current email; null once deleted.")
    reason: str
    detail: dict[str, object]
    created_at: datetime


class AuditPage(PageInfo):
    items: list[AuditEntry]


class RequestFigures(BaseModel):
    total: int
    tracked: int
    trackless: int
    by_genre: dict[str, int]


class GroupFigures(BaseModel):
    formed: int
    sizes: dict[str, int] = Field(description="How many groups of each size (members) were formed.")


class FeedbackFigures(BaseModel):
    owed: int = Field(description="Feedback owed in groups whose deadline fell that day.")
    written_on_time: int
    completion_rate: float | None


class RatingFigures(BaseModel):
    count: int
    mean: float | None
    distribution: dict[str, int] = Field(description="How many ratings of 1 to 5 were given that day.")


class ReplyFigures(BaseModel):
    replies: int
    threads: int
    per_thread: float | None


class HelpfulReviewer(BaseModel):
    user_id: int
    email: str | None
    mean_rating: float | None
    ratings: int


class FastGroup(BaseModel):
    group_id: int
    name: str
    hours: float | None


class Extremes(BaseModel):
    helpful_reviewers: list[HelpfulReviewer] = Field(
        description="By mean rating received over the 30 days to that day, with at least 5 ratings."
    )
    fastest_groups: list[FastGroup] = Field(
        description="Groups whose deadline fell that day with everything written: hours from forming to the last."
    )


class StatsDay(BaseModel):
    day: dt_date
    live: bool = Field(description="Today's figures, computed now; earlier days are stored by `compute_stats`.")
    signups: int
    active_users: int
    requests: RequestFigures
    groups: GroupFigures
    feedback: FeedbackFigures
    median_hours_to_first_feedback: float | None
    ratings: RatingFigures
    replies: ReplyFigures
    extremes: Extremes


class StatsSeries(BaseModel):
    from_: dt_date = Field(alias="from")
    to: dt_date
    days: list[StatsDay] = Field(description="Days with figures, oldest first (days before the job ran are absent).")
