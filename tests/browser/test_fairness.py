"""Fairness in the browser: a group page counts down to its deadline; the account page shows the
member's strikes, when each expires, and how to clear one; "Tracks that need you" lists the day's
recommendations, and extra feedback written there reaches the track's owner."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from db import deadlines
from db.connection import database
from db.models import FeedbackGroup, Strike, utcnow
from jobs.enforce_deadlines import enforce_deadlines
from jobs.recommend_tracks import recommend_tracks
from jobs.runner import execute
from tests.browser.conftest import LiveServer, axe_problems, screenshot, write_feedback
from tests.browser.test_journey import open_signed_in, sign_in
from tests.builders import PASSWORD, make_group, make_request, make_user, submit

# One worker runs the browser tests, one after another (each module opens its own Chromium).
pytestmark = pytest.mark.xdist_group("browser")


def test_a_member_sees_the_deadline_and_their_standing(live_server: LiveServer, open_page: Any) -> None:
    me = make_user("struck@example.com")
    missed = make_group(n=2, users=[me, make_user()])
    current = make_group(n=3, users=[me, make_user(), make_user()])
    with database.connection_context():
        for group in (missed, make_group(n=2, users=[me, make_user()])):
            given = utcnow()
            expires = given + dt.timedelta(days=deadlines.STRIKE_DAYS)
            Strike.create(user=me, group=group.group.id, kind=deadlines.NO_SHOW, created_at=given, expires_at=expires)
    watched = open_page()
    page = watched.page
    page.goto("/sign-in")
    sign_in(page, me.email, PASSWORD)
    expect(page.get_by_role("heading", name="Your tracks and groups")).to_be_visible()
    page.goto(f"/groups/{current.group.id}")
    expect(page.get_by_text(re.compile(r"Feedback due in 2 days 2\d h|Feedback due in 3 days 0 h"))).to_be_visible()
    assert not axe_problems(page)
    screenshot(page, "group-deadline")
    page.goto("/account")
    standing = page.get_by_role("region", name="Your standing")
    expect(standing.get_by_text(f"group #{missed.group.id}")).to_be_visible()
    expect(standing.get_by_text("you can't submit a track for now")).to_be_visible()
    expect(standing.get_by_text("write all the feedback you owe in a later group")).to_be_visible()
    assert not axe_problems(page)
    screenshot(page, "account-standing")
    assert not watched.csp_violations


def test_extra_feedback_from_tracks_that_need_you_reaches_the_owner(live_server: LiveServer, open_page: Any) -> None:
    group = make_group(n=3)
    owner, reviewer, _ = group.users
    for response in group.to_review(owner):
        submit(response, "Owner's review.")
    submit(group.response(reviewer, owner), "The only review.")
    with database.connection_context():
        due = FeedbackGroup.get_by_id(group.group.id).due_at
    execute("enforce_deadlines", lambda: enforce_deadlines(live_server.settings, due + dt.timedelta(hours=1)))
    helper = make_user("helper@example.com")
    make_request(helper)
    execute("recommend_tracks", lambda: recommend_tracks(live_server.settings))

    watched = open_page()
    page = watched.page
    page.goto("/sign-in")
    sign_in(page, helper.email, PASSWORD)
    expect(page.get_by_role("heading", name="Your track is waiting for a group")).to_be_visible()
    page.get_by_role("link", name="Need you").click()
    expect(page.get_by_role("heading", name="Tracks that need you")).to_be_visible()
    expect(page.get_by_text("1 review missing")).to_be_visible()
    assert not axe_problems(page)
    screenshot(page, "need-you")
    write_feedback(page, "From outside the group: the vocal sits too low in the chorus")
    page.get_by_role("button", name="Send feedback").click()
    expect(page.get_by_text("You wrote:")).to_be_visible()

    owners = open_signed_in(open_page, owner.email)
    owners.page.goto(f"/groups/{group.group.id}")
    expect(owners.page.get_by_text(re.compile("^From outside the group: the vocal sits too low"))).to_be_visible()
    assert not watched.csp_violations and not owners.csp_violations
