"""Feedback that helps: focus aspects, the guided form, marks pinned to moments, and the effort gate.

Adversary's view, each tested below:
- a writer who hand-edits the body: marks out of range, past the track, too many, with control
  characters, unknown aspects: 422 naming the field, nothing stored;
- the track's owner before they owe nothing more: sees no marks or answers (not even counts);
- a member with a second account in the group: sees only their own writing's marks;
- a reviewer pasting the same text everywhere, or a few words: refused, the refusal counted for admins;
- twenty copies of one submission at once (PostgreSQL): one 200, the rest 409, never a 422 from
  the gate comparing the copy with its own twin.
"""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from db.connection import database
from db.models import AspectAnswer, FeedbackMark, FeedbackRefusal, FeedbackRequest, FeedbackResponse, User
from settings import Settings
from tests.builders import PASSWORD, GroupFixture, bearer, feedback_text, make_group, make_user, submit
from tests.web.conftest import simultaneously

API = "/api/v1"


def _ask(group: GroupFixture, owner: User, aspects: str = "mix,groove", length: int | None = 200) -> None:
    with database.connection_context():
        FeedbackRequest.update(aspects=aspects, track_length_s=length).where(
            FeedbackRequest.id == group.requests[owner.id].id
        ).execute()


def _guided(**aspects: dict) -> dict:
    return {
        "aspects": aspects,
        "strongest_moment": "The second drop at 1:10, when the pads open up and the bass finally gets its room.",
        "biggest_problem": "The vocal is buried under the synths in every chorus, so the words are hard to follow.",
        "next_step": "Carve 2-4 kHz out of the lead synth under the vocal, or sidechain it to the vocal bus.",
    }


def _put(client: TestClient, settings: Settings, writer: User, response_id: int, body: dict):
    return client.put(f"{API}/responses/{response_id}", json=body, headers=bearer(settings, writer))


def _stored(response_id: int) -> tuple[bool, int, int]:
    with database.connection_context():
        submitted = FeedbackResponse.get_by_id(response_id).submitted_at is not None
        marks = FeedbackMark.select().where(FeedbackMark.response == response_id).count()
        answers = AspectAnswer.select().where(AspectAnswer.response == response_id).count()
    return submitted, marks, answers


def test_aspects_are_listed_in_order_with_labels(anon: TestClient) -> None:
    items = anon.get(f"{API}/aspects").json()["items"]
    assert [item["key"] for item in items] == [
        "mix",
        "arrangement",
        "melody_harmony",
        "sound_design",
        "vocals_lyrics",
        "mastering",
        "groove",
    ]
    assert all(item["label"] and item["description"] for item in items)


def test_a_request_takes_up_to_three_known_aspects(client: TestClient, settings: Settings) -> None:
    user = make_user()
    url, headers = f"{API}/feedback-requests", bearer(settings, user)
    for bad in (["mix", "tempo"], ["mix", "mix"], ["mix", "groove", "mastering", "arrangement"], "mix", [None]):
        answer = client.post(url, json={"aspects": bad}, headers=headers)
        assert answer.status_code == 422 and "aspects" in str(answer.json()["error"]["fields"]), bad
    created = client.post(url, json={"aspects": ["groove", "mix"], "track_length_s": 185}, headers=headers)
    assert created.status_code == 201
    request = created.json()["request"]
    assert request["aspects"] == ["mix", "groove"] and request["track_length_s"] == 185  # the documented order
    edited = client.patch(f"{url}/{request['id']}", json={"aspects": ["vocals_lyrics"]}, headers=headers)
    assert edited.json()["request"]["aspects"] == ["vocals_lyrics"]
    assert client.patch(f"{url}/{request['id']}", json={"aspects": None}, headers=headers).status_code == 422


def test_the_guided_form_is_stored_composed_and_shown_to_the_writer(client: TestClient, settings: Settings) -> None:
    group = make_group(n=2)
    writer, owner = group.users
    _ask(group, owner)
    response = group.response(writer, owner)
    guided = _guided(
        mix={"text": "Wide and clean, but the low mids pile up around the bass.", "score": 4},
        groove={"text": "The hats swing nicely against a straight kick."},
        mastering={"text": "Loud enough; the limiter pumps a little."},  # not asked: general notes
    )
    answer = _put(client, settings, writer, response.id, {"guided": guided, "allow_replies": True})
    assert answer.status_code == 200, answer.text
    written = answer.json()["response"]
    assert [a["key"] for a in written["guided"]["aspects"]] == ["mix", "groove"]
    assert written["guided"]["aspects"][0]["score"] == 4 and written["guided"]["aspects"][1]["score"] is None
    assert written["guided"]["notes"] == "Mastering: Loud enough; the limiter pumps a little."
    text = written["feedback"]  # one text for clients that only know `feedback`
    assert text.startswith("Mix (4/5): Wide and clean") and "Groove: The hats swing" in text
    assert "Strongest moment: The second drop at 1:10" in text and "Next step: Carve" in text
    # The time in the text became a mark, with its sentence.
    assert written["marks"] == [{"at_s": 70, "to_s": None, "text": guided["strongest_moment"]}]


def test_every_asked_aspect_must_be_answered(client: TestClient, settings: Settings) -> None:
    group = make_group(n=2)
    writer, owner = group.users
    _ask(group, owner)
    response = group.response(writer, owner)
    guided = _guided(mix={"text": feedback_text("Wide")})
    answer = _put(client, settings, writer, response.id, {"guided": guided, "allow_replies": True})
    assert answer.status_code == 422
    assert answer.json()["error"]["fields"] == {"guided.aspects.groove": "answer each aspect the artist asked about"}
    assert _stored(response.id) == (False, 0, 0)


def test_old_clients_free_text_still_works_on_a_request_with_aspects(client: TestClient, settings: Settings) -> None:
    group = make_group(n=2)
    writer, owner = group.users
    _ask(group, owner)
    text = feedback_text("Plain text, as before.")
    answer = _put(client, settings, writer, group.response(writer, owner).id, {"feedback": text, "allow_replies": True})
    assert answer.status_code == 200
    assert answer.json()["response"]["feedback"] == text and answer.json()["response"]["guided"] is None


def test_marks_are_sorted_merged_with_times_in_the_text_and_may_overlap(client: TestClient, settings: Settings) -> None:
    group = make_group(n=2)
    writer, owner = group.users
    _ask(group, owner, length=240)
    response = group.response(writer, owner)
    marks = [
        {"at_s": 90, "text": "Snare too loud"},
        {"at_s": 12, "to_s": 30, "text": "Intro drags"},
        {"at_s": 20, "to_s": 25, "text": "Nice riser"},
    ]
    notes = feedback_text("The break at 2:05-2:15 feels empty. Also 1:30 again.")
    answer = _put(client, settings, writer, response.id, {"feedback": notes, "marks": marks, "allow_replies": True})
    assert answer.status_code == 200, answer.text
    got = answer.json()["response"]["marks"]
    assert [(m["at_s"], m["to_s"]) for m in got] == [(12, 30), (20, 25), (90, None), (125, 135)]
    assert got[3]["text"] == "The break at 2:05-2:15 feels empty."
    assert set(got[0]) == {"at_s", "to_s", "text"}  # nothing else in a mark
    assert "1:30 Snare too loud" in answer.json()["response"]["feedback"]  # the marks, for text-only clients


@pytest.mark.parametrize(
    ("marks", "field"),
    [
        ([{"at_s": -1, "text": "x"}], "marks.0.at_s"),
        ([{"at_s": 30, "to_s": 10, "text": "backwards"}], "marks.0.to_s"),
        ([{"at_s": 10, "text": "fine"}, {"at_s": 250, "text": "past the end"}], "marks.1.at_s"),
        ([{"at_s": 10, "to_s": 201, "text": "runs past the end"}], "marks.0.to_s"),
        ([{"at_s": 1, "text": "bell \x07 here"}], "marks.0.text"),
        ([{"at_s": 1, "text": "two\nlines"}], "marks.0.text"),
        ([{"at_s": 1, "text": "x" * 501}], "marks.0.text"),
        ([{"at_s": 1.5, "text": "half a second"}], "marks.0.at_s"),
        ([{"at_s": 1, "text": "   "}], "marks.0.text"),
        ([{"at_s": 1, "text": "x", "writer": "me"}], "marks.0.writer"),
        ([{"at_s": second, "text": "one too many"} for second in range(51)], "marks"),
    ],
)
def test_bad_marks_are_refused_naming_the_field_and_nothing_is_stored(
    client: TestClient, settings: Settings, marks: list, field: str
) -> None:
    group = make_group(n=2)
    writer, owner = group.users
    _ask(group, owner, length=200)
    response = group.response(writer, owner)
    body = {"feedback": feedback_text(), "marks": marks, "allow_replies": True}
    answer = _put(client, settings, writer, response.id, body)
    assert answer.status_code == 422, answer.text
    assert field in answer.json()["error"]["fields"], answer.json()
    assert _stored(response.id) == (False, 0, 0)


def test_marks_and_answers_follow_the_feedback_visibility(client: TestClient, settings: Settings) -> None:
    group = make_group(n=3)
    owner, writer, third = group.users
    _ask(group, owner)
    response = group.response(writer, owner)
    guided = _guided(mix={"text": "Clean."}, groove={"text": "Tight."})
    body = {"guided": guided, "marks": [{"at_s": 5, "text": "Lovely opening"}], "allow_replies": True}
    assert _put(client, settings, writer, response.id, body).status_code == 200

    def owners_view() -> dict:
        return client.get(f"{API}/groups/{group.group.id}", headers=bearer(settings, owner)).json()["group"]

    assert owners_view()["received"] is None  # the owner still owes: nothing of it shows
    assert client.get(f"{API}/groups/{group.group.id}", headers=bearer(settings, third)).json()["group"]["to_review"]
    third_view = client.get(f"{API}/groups/{group.group.id}", headers=bearer(settings, third)).json()["group"]
    assert all(item["marks"] == [] and item["guided"] is None for item in third_view["to_review"])
    for mine in group.to_review(owner):
        submit(mine, feedback_text())
    received = owners_view()["received"]
    assert received[0]["marks"][0]["text"] == "Lovely opening" and received[0]["guided"]["aspects"][0]["key"] == "mix"
    export = client.get(f"{API}/me/export", headers=bearer(settings, owner)).json()
    assert export["feedback_received"][0]["marks"][0]["at_s"] == 5
    own = client.get(f"{API}/me/export", headers=bearer(settings, writer)).json()["feedback_written"]
    assert [row["marks"][0]["text"] for row in own if row["id"] == response.id] == ["Lovely opening"]
    # The writer deletes their account: the feedback and its marks stay, linked to nobody.
    gone = client.request("DELETE", f"{API}/me", json={"password": PASSWORD}, headers=bearer(settings, writer))
    assert gone.status_code == 204, gone.text
    kept = owners_view()["received"][0]
    assert kept["marks"][0]["text"] == "Lovely opening" and writer.email not in str(kept)
    # A moderator's removal takes marks and answers with the text.
    with database.connection_context():
        FeedbackResponse.update(hidden_at=FeedbackResponse.submitted_at).where(
            FeedbackResponse.id == response.id
        ).execute()
    removed = owners_view()["received"][0]
    assert removed["feedback"] == "" and removed["marks"] == [] and removed["guided"] is None
    export = client.get(f"{API}/me/export", headers=bearer(settings, owner)).json()
    assert export["feedback_received"][0]["marks"] == [] and export["feedback_received"][0]["strongest_moment"] is None


def test_the_effort_gate_refuses_short_and_repeated_feedback_and_counts_it(
    client: TestClient, settings: Settings
) -> None:
    group = make_group(n=3)
    writer = group.users[0]
    first, second = group.to_review(writer)
    short = _put(client, settings, writer, first.id, {"feedback": "Nice track, good mix.", "allow_replies": True})
    assert short.status_code == 422 and short.json()["error"]["code"] == "feedback_too_generic"
    assert "4 words" in short.json()["error"]["message"] and "at least 40" in short.json()["error"]["message"]
    again = _put(client, settings, writer, first.id, {"feedback": "Nice track, good mix!", "allow_replies": True})
    assert again.status_code == 422
    text = feedback_text("Honest notes on this one.")
    assert _put(client, settings, writer, first.id, {"feedback": text, "allow_replies": True}).status_code == 200
    pasted = _put(client, settings, writer, second.id, {"feedback": text + " Great work!", "allow_replies": True})
    assert pasted.status_code == 422 and pasted.json()["error"]["code"] == "feedback_too_generic"
    assert "the same as feedback you wrote before" in pasted.json()["error"]["message"]
    assert _stored(second.id) == (False, 0, 0)  # nothing stored: the client keeps the draft
    # Counted over all fields: a guided form of enough words passes even with no notes.
    assert (
        _put(client, settings, writer, second.id, {"feedback": feedback_text(), "allow_replies": True}).status_code
        == 200
    )
    with database.connection_context():
        reasons = sorted(row.reason for row in FeedbackRefusal.select().where(FeedbackRefusal.user == writer.id))
    assert reasons == ["repeated", "too_short"]
    with database.connection_context():
        attempts = FeedbackRefusal.get((FeedbackRefusal.user == writer.id) & (FeedbackRefusal.reason == "too_short"))
    assert attempts.attempts == 2  # trying again on the same track counts an attempt, not a new row
    admin = make_user(is_admin=True)
    detail = client.get(f"{API}/admin/users/{writer.id}", headers=bearer(settings, admin)).json()["user"]
    assert detail["feedback_refusals"] == {"too_short": 1, "repeated": 1}


def test_twenty_identical_submissions_at_once_store_one(pg_settings: Settings) -> None:
    group = make_group(n=2)
    writer, owner = group.users
    _ask(group, owner)
    response = group.response(writer, owner)
    body = {
        "guided": _guided(mix={"text": "Clean."}, groove={"text": "Tight."}),
        "marks": [{"at_s": 3, "text": "Here"}],
        "allow_replies": True,
    }
    url = f"{API}/responses/{response.id}"
    answers = simultaneously(pg_settings, "PUT", url, json=body, headers=bearer(pg_settings, writer))
    assert sorted(answer.status_code for answer in answers) == [200] + [409] * 19
    assert _stored(response.id) == (True, 2, 2)  # one mark given, one from "1:10" in the text; two answers


def test_progress_sums_up_aspects_and_the_most_marked_moments(client: TestClient, settings: Settings) -> None:
    group = make_group(n=4)
    owner, *writers = group.users
    _ask(group, owner, aspects="mix,groove", length=300)
    for index, writer in enumerate(writers):
        answers = {"mix": {"text": "Clean.", "score": 3 + index % 2}, "groove": {"text": "Stiff."}}
        marks = [{"at_s": 70 + index * 3, "to_s": 80 + index * 2, "text": f"Drop {index}"}]
        if index == 0:
            marks.append({"at_s": 200, "text": "Only I heard this"})
        body = {"guided": _guided(**answers), "marks": marks, "allow_replies": True}
        assert _put(client, settings, writer, group.response(writer, owner).id, body).status_code == 200
    url = f"{API}/me/progress"
    early = client.get(url, headers=bearer(settings, owner)).json()
    assert early["latest_track"] is None  # the owner still owes: nothing counts yet
    assert all(item["answers"] == 0 for item in early["aspects"])
    for mine in group.to_review(owner):
        submit(mine, feedback_text())
    progress = client.get(url, headers=bearer(settings, owner)).json()
    mix = next(item for item in progress["aspects"] if item["key"] == "mix")
    assert mix == {"key": "mix", "asked": 1, "answers": 3, "mean_score": pytest.approx(3.33, abs=0.01)}
    groove = next(item for item in progress["aspects"] if item["key"] == "groove")
    assert groove["answers"] == 3 and groove["mean_score"] is None
    latest = progress["latest_track"]
    assert latest["reviewers"] == 3
    top = latest["moments"][0]
    # "3 of 3 reviewers noted 1:10-1:24"; the strongest moment's "1:10" joins the same moment.
    assert (top["at_s"], top["to_s"], top["reviewers"]) == (70, 84, 3)
    assert latest["moments"][1] == {"at_s": 200, "to_s": None, "reviewers": 1, "notes": ["Only I heard this"]}
    # A writer's own view of progress is about their own tracks only.
    assert client.get(url, headers=bearer(settings, writers[0])).json()["latest_track"] is None


def test_the_account_shows_only_the_callers_own_rating_and_percentile(client: TestClient, settings: Settings) -> None:
    me, other = make_user(rating=4.2, rating_percentile=70.4), make_user(rating=1.5, rating_percentile=3.0)
    user = client.get(f"{API}/me", headers=bearer(settings, me)).json()["user"]
    assert user["rating"] == 4.2 and user["rating_percentile"] == 70
    assert "1.5" not in client.get(f"{API}/me", headers=bearer(settings, me)).text and other.id != me.id


def test_aspect_answers_on_a_request_that_asked_for_none_are_kept_as_general_notes(
    client: TestClient, settings: Settings
) -> None:
    group = make_group(n=2)
    writer, owner = group.users
    _ask(group, owner, aspects="", length=None)
    response = group.response(writer, owner)
    body = {"guided": _guided(groove={"text": "Loose in a good way."}), "feedback": "Lovely.", "allow_replies": True}
    answer = _put(client, settings, writer, response.id, body)
    assert answer.status_code == 200, answer.text
    guided = answer.json()["response"]["guided"]
    assert guided["aspects"] == [] and guided["notes"] == "Lovely.\n\nGroove: Loose in a good way."
    assert _stored(response.id)[2] == 0  # no aspect answers: the artist asked about none
    unknown = dict(body, guided=_guided(tempo={"text": "Too slow."}))
    assert _put(client, settings, writer, response.id, unknown).status_code == 422
