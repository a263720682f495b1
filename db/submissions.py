"""Writing a submission into a response row, for both ways feedback is written (owed in a group,
db/responses.py; extra, on a recommended track, db/recommendations.py): checked, judged by the
effort gate, then stored with its aspect answers and marks, all inside the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass

from db import effort, feedback_form
from db.errors import Conflict
from db.feedback_form import AspectAnswer, Mark, Submission
from db.models import AspectAnswer as AspectAnswerRow
from db.models import FeedbackMark, FeedbackResponse, utcnow

ALREADY_SUBMITTED = Conflict("already_submitted", "This feedback was already submitted.")


@dataclass(frozen=True)
class Checked:
    submission: Submission
    asked: list[str]
    answers: dict[str, AspectAnswer]
    marks: list[Mark]


@dataclass(frozen=True)
class Target:
    """The track a submission is about, as far as checking it goes."""

    request_id: int
    asked: list[str]
    track_length_s: int | None


def check(user_id: int, target: Target, submission: Submission) -> Checked | effort.Refusal:
    """Refuse malformed parts (422, naming the field); judge the effort (a recorded refusal, which
    the caller raises after committing)."""
    asked = target.asked
    answers = feedback_form.asked_answers(submission, asked)
    marks = feedback_form.all_marks(submission, target.track_length_s)
    refusal = effort.check(user_id, target.request_id, submission)
    return refusal if refusal is not None else Checked(submission, asked, answers, marks)


def store(response_id: int, checked: Checked) -> None:
    """Submit the (not yet submitted) response with everything in `checked`; 409 if it was already."""
    submission, guided = checked.submission, checked.submission.guided
    form = {name: getattr(guided, name) if guided else None for name in feedback_form.GUIDED_FIELDS}
    updated = (
        FeedbackResponse.update(
            feedback=feedback_form.compose(submission, checked.asked),
            notes=feedback_form.general_notes(submission, checked.asked) if guided else None,
            allow_replies=submission.allow_replies,
            submitted_at=utcnow(),
            **form,
        )
        .where((FeedbackResponse.id == response_id) & FeedbackResponse.submitted_at.is_null())
        .execute()
    )
    if not updated:
        raise ALREADY_SUBMITTED
    if checked.answers:
        AspectAnswerRow.insert_many(
            [
                {"response": response_id, "aspect": key, "text": answer.text, "score": answer.score}
                for key, answer in checked.answers.items()
            ]
        ).execute()
    if checked.marks:
        FeedbackMark.insert_many(
            [{"response": response_id, "at_s": m.at_s, "to_s": m.to_s, "text": m.text} for m in checked.marks]
        ).execute()
