"""Peewee models: the application's view of the schema that `db/migrations/` builds."""

from __future__ import annotations

import datetime as dt

from peewee import (
    AutoField,
    BooleanField,
    CharField,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    ModelSelect,
    SmallIntegerField,
    TextField,
)

from db.connection import database


def utcnow() -> dt.datetime:
    """Naive UTC: both backends store timestamps without a zone, and every one of ours is UTC."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def iso(value: dt.datetime | str | None) -> str | None:
    """The contract's timestamp form: ISO 8601, UTC, `Z` suffix (from a datetime or SQLite's text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.isoformat(timespec="seconds") + "Z"


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class User(BaseModel):
    id = AutoField()
    email = CharField(max_length=254)
    password_hash = CharField(max_length=255)
    rating = FloatField(null=True)
    # The share of rated reviewers rated below this user (0-100), set with `rating` by the job.
    rating_percentile = FloatField(null=True)
    send_reminder_emails = BooleanField(default=True)
    is_admin = BooleanField(default=False)
    # Bumped on password change: every token carrying an older version is refused.
    token_version = IntegerField(default=0)
    created_at = DateTimeField(default=utcnow)
    email_verified_at = DateTimeField(null=True)
    pending_email = CharField(max_length=254, null=True)
    deleted_at = DateTimeField(null=True)
    banned_at = DateTimeField(null=True)
    ban_reason = TextField(null=True)


class RevokedToken(BaseModel):
    jti = CharField(primary_key=True, max_length=64)
    expires_at = DateTimeField()


class PasswordReset(BaseModel):
    token_hash = CharField(primary_key=True, max_length=64)
    user = ForeignKeyField(User, on_delete="CASCADE")
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)


class EmailVerification(BaseModel):
    """A link that proves `email` belongs to `user` (`verify`: their address; `change`: a new one)."""

    token_hash = CharField(primary_key=True, max_length=64)
    user = ForeignKeyField(User, on_delete="CASCADE")
    email = CharField(max_length=254)
    purpose = CharField(max_length=10)
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()
    used_at = DateTimeField(null=True)


class RateLimitCounter(BaseModel):
    key = CharField(max_length=300)
    window = IntegerField()
    count = IntegerField(default=0)
    expires_at = DateTimeField(null=True)

    class Meta:
        primary_key = False
        indexes = ((("key", "window"), True),)


class FeedbackGroup(BaseModel):
    id = AutoField()
    name = CharField(max_length=300)
    # Genre keys, sorted, comma-separated.
    genres = CharField(max_length=200)
    created_at = DateTimeField(default=utcnow)
    due_at = DateTimeField(null=True)
    closed_at = DateTimeField(null=True)


class FeedbackRequest(BaseModel):
    id = AutoField()
    user = ForeignKeyField(User, on_delete="CASCADE")
    media_url = CharField(max_length=2000, null=True)
    media_type = CharField(max_length=20, null=True)
    genre = CharField(max_length=30)
    feedback_prompt = TextField(default="")
    email_when_grouped = BooleanField(default=False)
    group = ForeignKeyField(FeedbackGroup, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    track_title = CharField(max_length=500, null=True)
    track_author_name = CharField(max_length=500, null=True)
    track_thumbnail_url = CharField(max_length=2000, null=True)
    track_embed_html = TextField(null=True)
    track_fetched_at = DateTimeField(null=True)
    track_fetch_attempts = IntegerField(default=0)
    track_next_fetch_at = DateTimeField(null=True)
    reminder_sent_at = DateTimeField(null=True)
    last_call_sent_at = DateTimeField(null=True)
    # Focus aspects (db/aspects.py keys), comma-separated in the documented order; "" for none.
    aspects = CharField(max_length=200, default="")
    track_length_s = IntegerField(null=True)

    @classmethod
    def unassigned(cls) -> ModelSelect[FeedbackRequest]:
        return cls.select().where(cls.group.is_null())


class FeedbackResponse(BaseModel):
    """Feedback that `user` writes about `request` (someone else's track) in `group`.

    On PostgreSQL the three references are checked once per statement by triggers, not by per-row
    foreign keys (migration 0012: the grouping job inserts about three responses per member)."""

    id = AutoField()
    request = ForeignKeyField(FeedbackRequest, on_delete="CASCADE")
    user = ForeignKeyField(User, on_delete="CASCADE")
    group = ForeignKeyField(FeedbackGroup, on_delete="CASCADE")
    feedback = TextField(default="")
    submitted_at = DateTimeField(null=True)
    allow_replies = BooleanField(default=False)
    rating = SmallIntegerField(null=True)
    rated_at = DateTimeField(null=True)
    # Written on a recommended track from outside its group (db/recommendations.py).
    extra = BooleanField(default=False)
    hidden_at = DateTimeField(null=True)
    # The guided form's fields (null when written as one free text); `feedback` holds them composed.
    strongest_moment = TextField(null=True)
    biggest_problem = TextField(null=True)
    next_step = TextField(null=True)
    notes = TextField(null=True)


class AspectAnswer(BaseModel):
    """A reviewer's answer on one focus aspect the artist asked about."""

    id = AutoField()
    response = ForeignKeyField(FeedbackResponse, on_delete="CASCADE")
    aspect = CharField(max_length=30)
    text = TextField()
    score = SmallIntegerField(null=True)

    class Meta:
        indexes = ((("response", "aspect"), True),)


class FeedbackMark(BaseModel):
    """A note pinned to a moment (`at_s`) or a range (`at_s`..`to_s`) of the track, in whole seconds."""

    id = AutoField()
    response = ForeignKeyField(FeedbackResponse, on_delete="CASCADE")
    at_s = IntegerField()
    to_s = IntegerField(null=True)
    text = TextField()


class FeedbackRefusal(BaseModel):
    """The effort gate refused `user`'s feedback on `request` for `reason` (`too_short` or `repeated`),
    `attempts` times (db/effort.py)."""

    id = AutoField()
    user = ForeignKeyField(User, on_delete="CASCADE")
    request = ForeignKeyField(FeedbackRequest, on_delete="CASCADE")
    reason = CharField(max_length=20)
    created_at = DateTimeField(default=utcnow)
    attempts = IntegerField(default=1)

    class Meta:
        indexes = ((("user", "request", "reason"), True),)


class Reply(BaseModel):
    id = AutoField()
    response = ForeignKeyField(FeedbackResponse, on_delete="CASCADE")
    author = ForeignKeyField(User, on_delete="CASCADE")
    text = TextField()
    allow_replies = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)
    read_at = DateTimeField(null=True)
    hidden_at = DateTimeField(null=True)


class JobRun(BaseModel):
    id = AutoField()
    job = CharField(max_length=50)
    started_at = DateTimeField(default=utcnow)
    finished_at = DateTimeField(null=True)
    outcome = CharField(max_length=20, default="running")
    counts = TextField(default="{}")
    error = TextField(null=True)


class EmailOutbox(BaseModel):
    """An email to send after the transaction that decided it commits; retried until sent (db/outbox.py)."""

    id = AutoField()
    user = ForeignKeyField(User, on_delete="CASCADE")
    kind = CharField(max_length=30)
    request = ForeignKeyField(FeedbackRequest, null=True, on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    sent_at = DateTimeField(null=True)
    attempts = IntegerField(default=0)
    last_error = TextField(null=True)
    claimed_by = CharField(max_length=64, null=True)
    claimed_at = DateTimeField(null=True)
    failed_at = DateTimeField(null=True)
    to_address = CharField(max_length=254, null=True)
    payload = TextField(null=True)
    next_attempt_at = DateTimeField(null=True)


class Notification(BaseModel):
    """Something that happened to `user`, for their inbox and live stream (see db/notifications.py)."""

    id = AutoField()
    user = ForeignKeyField(User, on_delete="CASCADE")
    kind = CharField(max_length=40)
    group_id = IntegerField(null=True)
    request_id = IntegerField(null=True)
    response_id = IntegerField(null=True)
    count = IntegerField(null=True)
    created_at = DateTimeField(default=utcnow)
    read_at = DateTimeField(null=True)


class Strike(BaseModel):
    """A member who wrote none (`no_show`) or not all (`partial`) they owed in `group` by its deadline."""

    id = AutoField()
    user = ForeignKeyField(User, on_delete="CASCADE")
    group = ForeignKeyField(FeedbackGroup, on_delete="CASCADE")
    kind = CharField(max_length=20)
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()
    cleared_at = DateTimeField(null=True)
    cleared_by_group_id = IntegerField(null=True)


class NeedsFeedback(BaseModel):
    """A track that got fewer reviews than its group promised, for 14 days after the deadline."""

    request = ForeignKeyField(FeedbackRequest, primary_key=True, on_delete="CASCADE")
    owner = ForeignKeyField(User, on_delete="CASCADE")
    group_id = IntegerField()
    genre = CharField(max_length=30)
    missing = IntegerField()
    entered_at = DateTimeField()
    expires_at = DateTimeField()


class Recommendation(BaseModel):
    user = ForeignKeyField(User, on_delete="CASCADE")
    day = CharField(max_length=10)
    rank = IntegerField()
    request = ForeignKeyField(FeedbackRequest, on_delete="CASCADE")
    score = FloatField()

    class Meta:
        primary_key = False
        indexes = ((("user", "day", "rank"), True),)


class Report(BaseModel):
    """A user's report of a piece of feedback or a reply (db/reports.py)."""

    id = AutoField()
    reporter = ForeignKeyField(User, on_delete="CASCADE")
    response = ForeignKeyField(FeedbackResponse, null=True, on_delete="CASCADE")
    reply = ForeignKeyField(Reply, null=True, on_delete="CASCADE")
    writer = ForeignKeyField(User, on_delete="CASCADE", backref="reports_against")
    reason = CharField(max_length=20)
    text = TextField(default="")
    created_at = DateTimeField(default=utcnow)
    state = CharField(max_length=20, default="open")
    resolved_at = DateTimeField(null=True)
    resolved_by_id = IntegerField(null=True)


class AuditLog(BaseModel):
    """One admin action; append-only (the database refuses updates and deletes)."""

    id = AutoField()
    actor_id = IntegerField(null=True)
    actor = CharField(max_length=254)
    action = CharField(max_length=40)
    target_type = CharField(max_length=20)
    target_id = IntegerField(null=True)
    reason = TextField(default="")
    detail = TextField(default="{}")
    created_at = DateTimeField(default=utcnow)


class DailyStats(BaseModel):
    day = CharField(max_length=10, primary_key=True)
    figures = TextField()
    computed_at = DateTimeField(default=utcnow)


ALL_MODELS = [
    User,
    RevokedToken,
    PasswordReset,
    EmailVerification,
    RateLimitCounter,
    FeedbackGroup,
    FeedbackRequest,
    FeedbackResponse,
    AspectAnswer,
    FeedbackMark,
    FeedbackRefusal,
    Reply,
    JobRun,
    EmailOutbox,
    Notification,
    Strike,
    NeedsFeedback,
    Recommendation,
    Report,
    AuditLog,
    DailyStats,
]
