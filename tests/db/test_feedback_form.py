"""What a submission becomes (db/feedback_form.py): the moments a text names, and the one text
composed for readers that only know `feedback`. Pure: no database."""

from __future__ import annotations

import pytest

from db.feedback_form import AspectAnswer, Guided, Mark, Submission, compose, times_in_text


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("The drop at 1:10 hits.", [(70, None)]),
        ("Kick and bass fight at 1:05-1:20: sidechain it.", [(65, 80)]),
        ("From 0:30 – 0:45 and again 2:00 to 2:10.", [(30, 45), (120, 130)]),
        ("At 12:05, the outro.", [(725, None)]),
        ("Not a moment: 1:02:03, ratio 3:4, time 10:61.", []),
        ("Backwards 1:20-1:05 stays text.", []),
    ],
)
def test_the_moments_a_text_names(text: str, found: list[tuple[int, int | None]]) -> None:
    assert [(mark.at_s, mark.to_s) for mark in times_in_text(text)] == found


def test_a_moment_past_the_tracks_length_stays_text_and_marks_carry_their_sentence() -> None:
    marks = times_in_text("Great intro. The break at 3:10 drags! End.", track_length_s=180)
    assert marks == []
    (mark,) = times_in_text("Great intro. The break at 3:10 drags! End.")
    assert mark.text == "The break at 3:10 drags!"


def test_the_composed_text_has_every_field_under_its_heading() -> None:
    guided = Guided({"mix": AspectAnswer("Clean.", 4), "groove": AspectAnswer("Stiff.")}, "Drop", "Intro", "Cut")
    submission = Submission("Lovely.", True, guided, [Mark(83, None, "Snare"), Mark(5, 9, "Riser")])
    text = compose(submission, asked=["mix"])
    assert text.split("\n\n") == [
        "Mix (4/5): Clean.",
        "Strongest moment: Drop",
        "Biggest problem: Intro",
        "Next step: Cut",
        "Notes: Lovely.",
        "Groove: Stiff.",  # an aspect the artist did not ask about: a general note
        "Moments:\n0:05–0:09 Riser\n1:23 Snare",
    ]
