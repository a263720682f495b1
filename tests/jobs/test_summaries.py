"""What a job says it did is what it did: exact counts, never negative, and a summary that does not
contradict them (on both databases)."""

from __future__ import annotations

import datetime as dt
import re

from db.connection import database
from db.models import EmailOutbox, FeedbackGroup, Recommendation, utcnow
from jobs.assign_groups import assign_groups
from jobs.enforce_deadlines import enforce_deadlines
from jobs.recommend_tracks import recommend_tracks
from jobs.runner import execute
from settings import Settings
from tests.builders import make_group, make_request, make_user, submit


def _nonnegative(counts: dict[str, object]) -> None:
    assert all(value >= 0 for value in counts.values() if isinstance(value, int)), counts


def test_recommend_tracks_counts_what_it_stored(db: str, settings: Settings) -> None:
    group = make_group(n=4)
    owner = group.users[0]
    for response in group.to_review(owner):
        submit(response)
    with database.connection_context():
        due = FeedbackGroup.get_by_id(group.group.id).due_at
    assert execute("enforce_deadlines", lambda: enforce_deadlines(settings, due + dt.timedelta(hours=1)))[0] == 0
    for _ in range(3):
        make_request(make_user(), created_at=utcnow())
    status, result = execute("recommend_tracks", lambda: recommend_tracks(settings, utcnow()))
    assert status == 0
    _nonnegative(result.counts)
    with database.connection_context():
        stored = Recommendation.select().count()
    assert stored > 0 and result.counts["recommended"] == stored
    assert result.summary.startswith(f"{stored} recommendation(s)")


def test_assign_groups_says_when_it_sent_earlier_runs_emails(db: str, settings: Settings) -> None:
    """An earlier run grouped this request but could not send its email (SMTP was down)."""
    earlier = make_group(n=3)
    member = earlier.users[0]
    with database.connection_context():
        EmailOutbox.create(user=member.id, kind="grouped", request=earlier.requests[member.id].id, created_at=utcnow())
    status, result = execute("assign_groups", lambda: assign_groups(settings))
    assert status == 0
    _nonnegative(result.counts)
    assert result.counts["assigned"] == 0 and result.counts["emails_sent"] == 1
    assert re.match(r"0 request\(s\) placed in 0 group\(s\); 1 grouped email\(s\) sent, 0 to retry$", result.summary)
