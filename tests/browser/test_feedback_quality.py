"""Feedback that helps, in the browser, offline: a reviewer adds a note at the player's position and
answers the aspects the artist asked about; the owner sees every reviewer's notes on one timeline
and a click seeks the player. The Dropbox `<audio>` player plays a short WAV this test makes; the
SoundCloud widget is a fake frame that speaks the Widget API's message protocol; the artist picks
focus aspects when asking; My progress sums it up."""

from __future__ import annotations

import io
import re
import wave
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, Route, expect

from db.connection import database
from db.models import FeedbackMark, FeedbackRequest
from tests.browser.conftest import LiveServer, axe_problems, screenshot, write_feedback
from tests.browser.test_journey import open_signed_in
from tests.builders import GroupFixture, bearer, feedback_text, make_group, submit

pytestmark = pytest.mark.xdist_group("browser")

DROPBOX = "https://www.dropbox.com/s/abc123/demo-track.wav"
SOUNDCLOUD = "https://soundcloud.com/howsmytrack-test/widget-track"
SECONDS = 12


def wav(seconds: int = SECONDS, rate: int = 8000) -> bytes:
    """A quiet saw wave, `seconds` long: enough for the <audio> element to load, seek and report."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(rate)
        out.writeframes(bytes(128 + (i % 40) for i in range(seconds * rate)))
    return buffer.getvalue()


# A stand-in for w.soundcloud.com/player: says `ready`, reports a play position after the page
# subscribes to `playProgress`, answers `getPosition`, and records `seekTo` (window.seekedTo).
FAKE_WIDGET = """<!doctype html><title>fake widget</title><script>
let position = 42000;
window.seekedTo = null;
const tell = (method, value) => parent.postMessage(JSON.stringify({method, value}), "*");
addEventListener("message", (event) => {
  const {method, value} = JSON.parse(event.data);
  if (method === "addEventListener" && value === "playProgress") tell("playProgress", {currentPosition: position});
  if (method === "getPosition") tell("getPosition", position);
  if (method === "seekTo") { window.seekedTo = value; position = value; tell("seek", {currentPosition: value}); }
});
tell("ready", null);
</script>"""


def serve_offline(page: Page) -> None:
    audio = wav()

    def dropbox(route: Route) -> None:
        # With byte ranges, as Dropbox serves files: without them Chromium cannot seek in the audio.
        asked = re.fullmatch(r"bytes=(\d+)-(\d*)", route.request.headers.get("range", ""))
        if not asked:
            route.fulfill(body=audio, content_type="audio/wav", headers={"Accept-Ranges": "bytes"})
            return
        start, end = int(asked[1]), int(asked[2] or len(audio) - 1)
        route.fulfill(
            status=206,
            body=audio[start : end + 1],
            content_type="audio/wav",
            headers={"Accept-Ranges": "bytes", "Content-Range": f"bytes {start}-{end}/{len(audio)}"},
        )

    page.route(re.compile(r"^https://www\.dropbox\.com/.*"), dropbox)

    def widget(route: Route) -> None:
        route.fulfill(body=FAKE_WIDGET, content_type="text/html")

    page.route(re.compile(r"^https://w\.soundcloud\.com/player/.*"), widget)


def two_member_group(url: str, kind: str, aspects: str = "mix") -> GroupFixture:
    group = make_group(n=2)
    owner = group.users[0]
    with database.connection_context():
        FeedbackRequest.update(
            media_url=url, media_type=kind, aspects=aspects, track_length_s=SECONDS if kind == "dropbox" else None
        ).where(FeedbackRequest.id == group.requests[owner.id].id).execute()
    return group


def group_page_offline(open_page: Any, user: Any, group: GroupFixture) -> tuple[Any, Page]:
    """`user` signed in on `group`'s page, with the players' media served offline."""
    watched = open_signed_in(open_page, user.email)
    serve_offline(watched.page)
    watched.page.goto(f"/groups/{group.group.id}")
    return watched, watched.page


def seek_audio(page: Page, seconds: int) -> None:
    page.evaluate(
        """async (seconds) => {
            const audio = document.querySelector("audio");
            if (audio.readyState < 1) {
                audio.load();
                await new Promise((done) => audio.addEventListener("loadedmetadata", done, {once: true}));
            }
            audio.currentTime = seconds;
        }""",
        seconds,
    )


def test_a_reviewer_notes_a_moment_at_the_players_position_and_the_owner_seeks_to_it(
    live_server: LiveServer, open_page: Any
) -> None:
    group = two_member_group(DROPBOX, "dropbox", aspects="mix,groove")
    owner, reviewer = group.users
    watched, page = group_page_offline(open_page, reviewer, group)
    form = page.get_by_role("form", name="Your feedback")
    expect(form.get_by_role("group", name="Mix (the artist asked)")).to_be_visible()
    expect(form.get_by_role("group", name="Groove (the artist asked)")).to_be_visible()
    seek_audio(page, 7)
    note = form.get_by_role("button", name="Note at 0:07")
    expect(note).to_be_visible()
    note.click()
    expect(form.get_by_label("Time of note 1")).to_have_value("0:07")
    expect(form.get_by_label("Note 1", exact=True)).to_be_focused()
    page.keyboard.type("The snare gets lost under the pad here")
    form.get_by_label("Mix", exact=True).fill("Wide and clean, but the low mids pile up under the bass line.")
    form.get_by_label("Mix score").select_option("4")
    form.get_by_label("Groove", exact=True).fill("The hats swing nicely against a straight kick.")
    # Too few words: the service refuses, says why, and the draft stays.
    form.get_by_label("Strongest moment").fill("The drop.")
    form.get_by_label("Biggest problem").fill("The intro.")
    form.get_by_label("One next step").fill("Shorter intro.")
    form.get_by_role("button", name="Send feedback").click()
    expect(form.get_by_role("alert")).to_contain_text("write at least 40")
    expect(form.get_by_label("Strongest moment")).to_have_value("The drop.")
    write_feedback(form, "The drop at 0:09 hits hard")
    screenshot(page, "feedback-guided")
    assert not axe_problems(page)
    form.get_by_role("button", name="Send feedback").click()
    expect(page.get_by_text("You wrote:")).to_be_visible()
    with database.connection_context():
        marks = sorted((m.at_s, m.text) for m in FeedbackMark.select())
    assert marks == [(7, "The snare gets lost under the pad here"), (9, marks[1][1])]

    for mine in group.to_review(owner):
        submit(mine, feedback_text())
    owners, owner_page = group_page_offline(open_page, owner, group)
    timeline = owner_page.get_by_role("region", name="Notes on moments of your track")
    expect(timeline.get_by_role("button", name=re.compile("^Play from 0:07"))).to_be_visible()
    received = owner_page.get_by_role("article", name="Feedback 1")
    expect(received.get_by_text("Mix")).to_be_visible()
    expect(received.get_by_text("4/5")).to_be_visible()
    screenshot(owner_page, "feedback-timeline")
    assert not axe_problems(owner_page)
    seek_audio(owner_page, 0)
    timeline.get_by_role("button", name=re.compile("^Play from 0:07")).click()
    owner_page.wait_for_function("Math.abs(document.querySelector('audio').currentTime - 7) < 0.5")
    assert not watched.csp_violations and not owners.csp_violations


def test_the_soundcloud_players_position_and_seeking_go_through_its_message_protocol(
    live_server: LiveServer, open_page: Any
) -> None:
    group = two_member_group(SOUNDCLOUD, "soundcloud", aspects="")
    owner, reviewer = group.users
    watched, page = group_page_offline(open_page, reviewer, group)
    page.locator("iframe.player").first.scroll_into_view_if_needed()
    form = page.get_by_role("form", name="Your feedback")
    note = form.get_by_role("button", name="Note at 0:42")  # from the widget's playProgress
    expect(note).to_be_visible()
    note.click()
    expect(form.get_by_label("Time of note 1")).to_have_value("0:42")
    form.get_by_label("Note 1", exact=True).fill("Lovely vocal chop")
    write_feedback(form, "The chorus")
    form.get_by_role("button", name="Send feedback").click()
    expect(page.get_by_text("You wrote:")).to_be_visible()

    for mine in group.to_review(owner):
        submit(mine, feedback_text())
    owners, owner_page = group_page_offline(open_page, owner, group)
    owner_page.locator(".my-track iframe.player").scroll_into_view_if_needed()
    owner_page.get_by_role("button", name=re.compile("^Play from 0:42")).click()
    widget = next(frame for frame in owner_page.frames if "widget-track" in frame.url)
    widget.wait_for_function("window.seekedTo === 42000")
    assert not watched.csp_violations and not owners.csp_violations


def test_the_artist_picks_focus_aspects_and_sees_their_progress(live_server: LiveServer, open_page: Any) -> None:
    group = two_member_group(DROPBOX, "dropbox", aspects="mix")
    owner, reviewer = group.users
    body = {
        "guided": {
            "aspects": {"mix": {"text": "Clean and wide.", "score": 5}},
            "strongest_moment": "The breakdown at 0:05 " + feedback_text(words=14),
            "biggest_problem": feedback_text(words=12),
            "next_step": feedback_text(words=12),
        },
        "allow_replies": True,
    }
    answer = httpx.put(
        f"{live_server.url}/api/v1/responses/{group.response(reviewer, owner).id}",
        json=body,
        headers=bearer(live_server.settings, reviewer),
    )
    assert answer.status_code == 200, answer.text
    for mine in group.to_review(owner):
        submit(mine, feedback_text())
    watched = open_signed_in(open_page, owner.email, width=390)
    page = watched.page
    page.get_by_role("link", name="Progress").click()
    expect(page.get_by_role("heading", name="My progress")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("^Mix"))
    expect(row).to_contain_text("5.0 / 5")
    expect(page.get_by_text(re.compile("1 of 1 reviewer noted"))).to_be_visible()
    screenshot(page, "progress")
    assert not axe_problems(page)

    # A new request with focus aspects: at most three may be picked.
    page.goto("/")
    page.get_by_label("Link to your track").fill("https://soundcloud.com/howsmytrack-test/next-one")
    for label in ("Mix", "Groove", "Mastering"):
        page.get_by_role("checkbox", name=label).check()
    expect(page.get_by_role("checkbox", name="Arrangement")).to_be_disabled()
    page.get_by_label("Track length (optional)").fill("3:45")
    page.get_by_role("button", name="Submit track").click()
    expect(page.get_by_text("Focus: Mix, Mastering, Groove")).to_be_visible()
    with database.connection_context():
        waiting = FeedbackRequest.get((FeedbackRequest.user == owner.id) & FeedbackRequest.group.is_null())
    assert (waiting.aspects, waiting.track_length_s) == ("mix,mastering,groove", 225)
    screenshot(page, "request-aspects")
    assert not watched.csp_violations
