"""A new musician's first day in the browser: the public front page (how it works, the rules, an FAQ
with private links); asking for feedback with a live check of the link, its preview player and an
error that clears once the link is fixed; editing a waiting request's link, genre and email choice;
and, in a group, their own track, question and rating beside the feedback, when each piece arrived,
what each rating means, and a way to open every track on its own service. Screenshots of each in
light and dark at 390 and 1280 px."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from db import notifications
from db.connection import database
from db.models import FeedbackRequest, User
from tests.browser.conftest import LiveServer, axe_problems, screenshot
from tests.browser.test_journey import open_signed_in, sign_in, sign_up
from tests.builders import PASSWORD, make_group, submit

# One worker runs the browser tests, one after another (each module opens its own Chromium).
pytestmark = pytest.mark.xdist_group("browser")


def both_schemes(page: Page, name: str) -> None:
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        screenshot(page, f"{name}-{scheme}")
    page.emulate_media(color_scheme="light")


def test_a_visitor_reads_the_front_page_and_signs_up_from_it(live_server: LiveServer, open_page: Any) -> None:
    watched = open_page(width=390)
    page = watched.page
    page.goto("/")
    expect(page.get_by_role("heading", name="How it works")).to_be_visible()
    expect(page.get_by_role("heading", name="The rules")).to_be_visible()
    page.get_by_text("How do I share a private track?").click()
    expect(page.get_by_text("upload the track as private")).to_be_visible()
    expect(page.get_by_text("5 · Exceptional")).to_be_visible()
    assert not axe_problems(page)
    both_schemes(page, "front-page")
    page.get_by_role("main").get_by_role("link", name="Create an account").click()
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    assert not watched.csp_violations


def test_asking_checks_the_link_live_previews_it_and_a_waiting_request_can_be_edited(
    live_server: LiveServer, open_page: Any
) -> None:
    watched = open_page()
    page = watched.page
    sign_up(page, "newcomer@example.com")
    question = page.get_by_label("What would you like feedback on?")
    assert "e.g." in str(question.get_attribute("placeholder"))
    link = page.get_by_label("Link to your track")
    link.fill("https://soundcloud.com/only-an-artist")
    expect(page.get_by_text("We can't use this link.", exact=False)).to_be_visible()
    expect(link).to_have_attribute("aria-invalid", "true")
    link.fill("https://soundcloud.com/newcomer/first-idea")
    expect(page.get_by_text("SoundCloud link: looks good.")).to_be_visible()
    expect(link).not_to_have_attribute("aria-invalid", "true")
    preview = page.get_by_role("group", name="Preview").or_(page.locator(".preview"))
    expect(preview.locator("iframe")).to_have_attribute("src", re.compile(r"^https://w\.soundcloud\.com/player/"))
    question.fill("Is the bass too loud?")
    page.get_by_role("button", name="Submit track").click()
    expect(page.get_by_role("heading", name="Your track is waiting for a group")).to_be_visible()
    expect(page.get_by_text("You asked: Is the bass too loud?")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Open on SoundCloud"))).to_have_attribute(
        "href", "https://soundcloud.com/newcomer/first-idea"
    )
    both_schemes(page, "home-waiting-preview")

    page.get_by_role("button", name="Edit request").click()
    edit_link = page.get_by_label("Link to your track")
    edit_link.fill("https://www.dropbox.com/scl/fi/abc123/second-idea.wav?rlkey=xyz")
    expect(page.get_by_text("Dropbox link: looks good.")).to_be_visible()
    page.get_by_label("Genre").select_option("jazz")
    page.get_by_label("Email me when I'm in a group").uncheck()
    assert not axe_problems(page)
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Jazz · no email when grouped")).to_be_visible()
    with database.connection_context():
        saved = FeedbackRequest.get(FeedbackRequest.user == User.get(User.email == "newcomer@example.com").id)
    assert (saved.media_type, saved.genre, saved.email_when_grouped) == ("dropbox", "jazz", False)
    assert not watched.csp_violations


def test_the_group_page_puts_your_track_and_rating_beside_the_feedback(live_server: LiveServer, open_page: Any) -> None:
    group = make_group(n=4)
    me = group.users[0]
    with database.connection_context():
        FeedbackRequest.update(feedback_prompt="Does the drop land?").where(
            FeedbackRequest.id == group.requests[me.id].id
        ).execute()
        User.update(rating=4.2, rating_percentile=70).where(User.id == me.id).execute()
    for response in group.to_review(me):
        submit(response, "Careful notes.")
    for writer in group.users[1:]:
        submit(group.response(writer, me), f"The pad is lovely; the drop needs more low end ({writer.id}).")
    watched = open_page(width=390)
    page = watched.page
    page.goto("/sign-in")
    sign_in(page, me.email, PASSWORD)
    expect(page.get_by_role("heading", name="Your tracks and groups")).to_be_visible()
    page.goto(f"/groups/{group.group.id}")
    expect(page.get_by_text("4 members · 4 tracks")).to_be_visible()
    mine = page.locator(".my-track")
    expect(mine.get_by_text("You asked: Does the drop land?")).to_be_visible()
    expect(
        mine.get_by_text(re.compile(r"Your feedback is rated 4\.2 \(Very useful\), better than 70 % of reviewers"))
    ).to_be_visible()
    expect(mine.get_by_role("link", name=re.compile("Open on SoundCloud"))).to_be_visible()
    received = page.get_by_role("article", name=re.compile("^Feedback"))
    expect(received).to_have_count(3)
    expect(received.first.get_by_text(re.compile("^Arrived (just now|\\d+ min ago)"))).to_be_visible()
    expect(received.first.get_by_text("Exceptional")).to_be_visible()
    received.first.get_by_label(re.compile("^3")).check()
    expect(received.first.get_by_text("3: At least one specific point I can act on.")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Open on SoundCloud"))).to_have_count(4)
    assert not axe_problems(page)
    both_schemes(page, "group-context")
    assert not watched.csp_violations


def test_visiting_where_a_notification_leads_reads_it(live_server: LiveServer, open_page: Any) -> None:
    group = make_group(n=2)
    me = group.users[0]
    with database.connection_context():
        notifications.notify(me.id, notifications.STRIKE, group_id=group.group.id)
        notifications.notify(me.id, notifications.REMINDER, group_id=group.group.id)
    page = open_signed_in(open_page, me.email).page
    badge = page.get_by_role("button", name=re.compile("^Notifications")).locator(".count")
    expect(badge).to_have_text("2")
    page.get_by_role("link", name="Account").click()
    expect(badge).to_have_text("1")  # the strike is read on the page it leads to
    page.goto(f"/groups/{group.group.id}")
    expect(badge).to_have_count(0)  # and the group's reminder on the group's page
