"""What a reviewer submits, and how it becomes the stored response.

A submission is free text (`notes`, the API's `feedback`), optionally the guided form (an answer per
focus aspect the artist asked about, and the strongest moment, the biggest problem and one next
step), and marks: notes pinned to a moment or a range of the track. Whatever form it takes, the
response's `feedback` column holds it all composed as one text, so every reader that only knows
`feedback` (old clients, exports, admin pages, reports) still reads all of it.

Times written in the text ("at 1:23", "1:05-1:20") become marks too, up to `MAX_MARKS` in all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from db import aspects
from db.errors import ValidationFailed

MAX_MARKS = 50
MAX_MARK_TEXT = 500
GUIDED_FIELDS = {
    "strongest_moment": "Strongest moment",
    "biggest_problem": "Biggest problem",
    "next_step": "Next step",
}
NOTES_LABEL = "Notes"
MOMENTS_LABEL = "Moments"
# m:ss, optionally a range to another m:ss (hyphen, en or em dash, or "to"); not part of h:mm:ss.
_TIME = r"(\d{1,3}):([0-5]\d)"
# A colon after a time is punctuation ("at 1:20: cut it"); one before or after digits is h:mm:ss.
TIMES_IN_TEXT = re.compile(rf"(?<!\d)(?<!\d:){_TIME}(?:\s*(?:-|–|—|to)\s*{_TIME})?(?!\d|:\d)")
_SENTENCE_END = re.compile(r"[.!?\n]")


@dataclass(frozen=True)
class Mark:
    at_s: int
    to_s: int | None
    text: str

    @property
    def key(self) -> tuple[int, int]:
        return (self.at_s, self.to_s if self.to_s is not None else -1)


@dataclass(frozen=True)
class AspectAnswer:
    text: str
    score: int | None = None


@dataclass(frozen=True)
class Guided:
    aspects: dict[str, AspectAnswer]
    strongest_moment: str
    biggest_problem: str
    next_step: str


@dataclass(frozen=True)
class Submission:
    notes: str
    allow_replies: bool
    guided: Guided | None = None
    marks: list[Mark] = field(default_factory=list)


def clock(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def span(mark: Mark) -> str:
    return clock(mark.at_s) + (f"–{clock(mark.to_s)}" if mark.to_s is not None else "")


def check_marks(marks: list[Mark], track_length_s: int | None) -> None:
    """Refuse marks past the track's known length (the body's schema checks everything else)."""
    if track_length_s is None:
        return
    for index, mark in enumerate(marks):
        for name in ("at_s", "to_s"):
            value = getattr(mark, name)
            if value is not None and value > track_length_s:
                raise ValidationFailed(
                    {f"marks.{index}.{name}": f"is past the end of the track ({clock(track_length_s)})"}
                )


def _sentence(text: str, start: int, end: int) -> str:
    before = [m.end() for m in _SENTENCE_END.finditer(text, 0, start)]
    after = _SENTENCE_END.search(text, end)
    sentence = text[before[-1] if before else 0 : after.end() if after else len(text)]
    return " ".join(sentence.split())[:MAX_MARK_TEXT]


def times_in_text(text: str, track_length_s: int | None = None) -> list[Mark]:
    """The moments a text names ("1:23", "1:05-1:20"), each with its sentence as the mark's text.
    A range written backwards, or a time past the track's known length, is left as text."""
    found = []
    for match in TIMES_IN_TEXT.finditer(text):
        at_s = int(match.group(1)) * 60 + int(match.group(2))
        to_s = int(match.group(3)) * 60 + int(match.group(4)) if match.group(3) else None
        last = to_s if to_s is not None else at_s
        if (to_s is not None and to_s < at_s) or (track_length_s is not None and last > track_length_s):
            continue
        found.append(Mark(at_s, to_s, _sentence(text, match.start(), match.end())))
    return found


def texts(submission: Submission) -> list[str]:
    """Every text the reviewer wrote (what the effort gate counts)."""
    parts = [submission.notes]
    if submission.guided:
        guided = submission.guided
        parts += [answer.text for answer in guided.aspects.values()]
        parts += [guided.strongest_moment, guided.biggest_problem, guided.next_step]
    parts += [mark.text for mark in submission.marks]
    return [part for part in parts if part]


def asked_answers(submission: Submission, asked: list[str]) -> dict[str, AspectAnswer]:
    """The answers on aspects the artist asked about; every one of them must be answered."""
    if submission.guided is None:
        return {}
    missing = [key for key in asked if key not in submission.guided.aspects]
    if missing:
        raise ValidationFailed({f"guided.aspects.{missing[0]}": "answer each aspect the artist asked about"})
    return {key: answer for key, answer in submission.guided.aspects.items() if key in asked}


def general_notes(submission: Submission, asked: list[str]) -> str:
    """The free text, with answers on aspects the artist did not ask about added as general notes."""
    extra = []
    if submission.guided:
        extra = [
            f"{aspects.label(key)}: {answer.text}"
            for key, answer in submission.guided.aspects.items()
            if key not in asked
        ]
    return "\n\n".join(part for part in [submission.notes, *extra] if part)


def all_marks(submission: Submission, track_length_s: int | None) -> list[Mark]:
    """The reviewer's marks and the moments named in their text (one per moment), sorted by time."""
    check_marks(submission.marks, track_length_s)
    marks = list(submission.marks)
    seen = {mark.key for mark in marks}
    for text in texts(Submission(submission.notes, False, submission.guided)):
        for mark in times_in_text(text, track_length_s):
            if len(marks) < MAX_MARKS and mark.key not in seen:
                seen.add(mark.key)
                marks.append(mark)
    return sorted(marks, key=lambda mark: mark.key)


def compose(submission: Submission, asked: list[str]) -> str:
    """The whole response as one text, for readers that only know `feedback`."""
    sections = []
    if submission.guided:
        guided = submission.guided
        for key, answer in asked_answers(submission, asked).items():
            score = f" ({answer.score}/5)" if answer.score is not None else ""
            sections.append(f"{aspects.label(key)}{score}: {answer.text}")
        sections += [f"{label}: {getattr(guided, name)}" for name, label in GUIDED_FIELDS.items()]
    notes = general_notes(submission, asked)
    if notes:
        sections.append(f"{NOTES_LABEL}: {notes}" if submission.guided else notes)
    if submission.marks:
        lines = [f"{span(mark)} {mark.text}" for mark in sorted(submission.marks, key=lambda mark: mark.key)]
        sections.append(f"{MOMENTS_LABEL}:\n" + "\n".join(lines))
    return "\n\n".join(sections)
