"""The effort gate: feedback must be long enough to help, and not a copy of the reviewer's own.

Refused (`422 feedback_too_generic`, nothing stored, the draft stays with the client):
- fewer than `MIN_WORDS` words over everything the reviewer wrote (every field and mark);
- `REPEAT_SHARE` or more of its word shingles (runs of `SHINGLE` words) found in one of the
  reviewer's last `HISTORY` submitted responses: a pasted template, whatever it is wrapped in.

Each refusal is recorded (`feedback_refusal`, one row per reviewer, track and reason, counting the
attempts) for the admins' user detail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from db import aspects
from db.errors import ValidationFailed
from db.feedback_form import GUIDED_FIELDS, MOMENTS_LABEL, NOTES_LABEL, Submission, texts
from db.models import FeedbackRefusal, FeedbackResponse

MIN_WORDS = 40
REPEAT_SHARE = 0.8
HISTORY = 50
SHINGLE = 3
TOO_SHORT = "too_short"
REPEATED = "repeated"
REASONS = (TOO_SHORT, REPEATED)

_WORD = re.compile(r"\w+")
# The headings `compose` writes into stored feedback: not the reviewer's words, so not compared.
_LABELS = [a.label for a in aspects.ASPECTS.values()] + [*GUIDED_FIELDS.values(), NOTES_LABEL, MOMENTS_LABEL]
_HEADING = re.compile(r"^(?:" + "|".join(re.escape(label) for label in _LABELS) + r")(?: \(\d/5\))?:", re.MULTILINE)


@dataclass(frozen=True)
class Refusal:
    reason: str
    message: str

    def error(self) -> ValidationFailed:
        return ValidationFailed({"feedback": self.message}, "feedback_too_generic", self.message)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def shingles(text: str) -> set[tuple[str, ...]]:
    found = words(_HEADING.sub(" ", text))
    if len(found) < SHINGLE:
        return {tuple(found)} if found else set()
    return {tuple(found[i : i + SHINGLE]) for i in range(len(found) - SHINGLE + 1)}


def repeated_share(text: str, earlier: list[str]) -> float:
    """The largest share of `text`'s shingles that one of the `earlier` texts also has."""
    mine = shingles(text)
    if not mine:
        return 0.0
    return max((len(mine & shingles(old)) / len(mine) for old in earlier), default=0.0)


def judge(submission: Submission, earlier: list[str]) -> Refusal | None:
    written = "\n".join(texts(submission))
    count = len(words(written))
    if count < MIN_WORDS:
        return Refusal(
            TOO_SHORT,
            f"Your feedback has {count} word{'s' if count != 1 else ''}; write at least {MIN_WORDS} over all the "
            "fields: what you heard, where, and what you would try.",
        )
    share = repeated_share(written, earlier)
    if share >= REPEAT_SHARE:
        return Refusal(
            REPEATED,
            f"This feedback is {share:.0%} the same as feedback you wrote before; write about this track.",
        )
    return None


def check(user_id: int, request_id: int, submission: Submission) -> Refusal | None:
    """Judge the submission against the reviewer's own last responses on other tracks (on this one
    there is at most one: a simultaneous copy of this very submission, which gets its 409); record
    a refusal (inside the caller's transaction, which must commit it)."""
    earlier = [
        row.feedback
        for row in FeedbackResponse.select(FeedbackResponse.feedback)
        .where(
            (FeedbackResponse.user == user_id)
            & FeedbackResponse.submitted_at.is_null(False)
            & (FeedbackResponse.request != request_id)
        )
        .order_by(FeedbackResponse.submitted_at.desc(), FeedbackResponse.id.desc())
        .limit(HISTORY)
    ]
    refusal = judge(submission, earlier)
    if refusal is not None:
        FeedbackRefusal.insert(user=user_id, request=request_id, reason=refusal.reason).on_conflict(
            conflict_target=[FeedbackRefusal.user, FeedbackRefusal.request, FeedbackRefusal.reason],
            update={FeedbackRefusal.attempts: FeedbackRefusal.attempts + 1},
        ).execute()
    return refusal
