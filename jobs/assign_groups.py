"""assign_groups: place every unassigned request with a track into a group of about four.

Crontab (02:30 UTC):  30 2 * * *  python -m jobs assign_groups
Operator:             docker compose exec cron python -m jobs assign_groups

The plan is made in memory from one read (`plan_groups`, pure and tested on its own); writing it
takes O(rows / batch) statements: group ids allocated in one statement, groups, request updates,
responses and outbox rows inserted in batches, all in one transaction. Emails go after commit.
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from application import Settings
from db.bulk import batched, insert_rows, update_from_values
from db.connection import database, is_postgres
from db.genres import label
from db.models import EmailOutbox, FeedbackGroup, FeedbackRequest, User, utcnow
from db.rows import tuple_rows
from jobs import emails
from jobs.runner import JobResult, job_main, job_transaction

JOB = "assign_groups"
BATCH = 2000


@dataclass(frozen=True)
class Candidate:
    id: int
    user_id: int
    tracked: bool
    genre: str
    created_at: datetime
    rating: float | None

    @property
    def order_key(self) -> tuple[float, datetime, int]:
        rating = self.rating if self.rating is not None and not math.isnan(self.rating) else 0.0
        return (-rating, self.created_at, self.id)


@dataclass
class PlannedGroup:
    genres: set[str]
    tracked: list[Candidate]
    trackless: list[Candidate] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.tracked) + len(self.trackless)

    def name(self, group_id: int) -> str:
        return f"Feedback Group #{group_id} - " + "/".join(sorted(label(genre) for genre in self.genres))


def group_sizes(n: int) -> list[int]:
    """Sizes for a bucket of n: as many 4s as possible, then 3s; never a 2 (except n == 2); 5 stays 5."""
    if n < 2:
        return []
    if n in (2, 3, 4, 5):
        return [n]
    fours = n // 4
    while (n - 4 * fours) % 3:
        fours -= 1
    return [4] * fours + [3] * ((n - 4 * fours) // 3)


def _buckets(tracked: list[Candidate]) -> list[tuple[set[str], list[Candidate]]]:
    by_genre: dict[str, list[Candidate]] = {}
    for candidate in tracked:
        by_genre.setdefault(candidate.genre, []).append(candidate)
    buckets = [({genre}, members) for genre, members in by_genre.items()]
    while len(buckets) > 1:
        buckets.sort(key=lambda bucket: (len(bucket[1]), sorted(bucket[0])))
        if len(buckets[0][1]) >= 3:
            break
        smallest, next_smallest = buckets[0], buckets[1]
        merged = sorted(smallest[1] + next_smallest[1], key=lambda c: c.order_key)
        buckets = [(smallest[0] | next_smallest[0], merged), *buckets[2:]]
    buckets.sort(key=lambda bucket: sorted(bucket[0]))
    return buckets


def plan_groups(candidates: list[Candidate]) -> tuple[list[PlannedGroup], list[str]]:
    """The contract's steps 1-4: returns the groups and a note for every request skipped."""
    problems: list[str] = []
    seen_users: set[int] = set()
    usable: list[Candidate] = []
    for candidate in sorted(candidates, key=lambda c: c.order_key):
        if candidate.user_id in seen_users:
            problems.append(f"request {candidate.id} skipped: its owner already has a request in this run")
            continue
        seen_users.add(candidate.user_id)
        usable.append(candidate)
    tracked = [c for c in usable if c.tracked]
    trackless = [c for c in usable if not c.tracked]
    groups: list[PlannedGroup] = []
    for genres, members in _buckets(tracked):
        start = 0
        for size in group_sizes(len(members)):
            groups.append(PlannedGroup(set(genres), members[start : start + size]))
            start += size
    _place_trackless(groups, trackless)
    return groups, problems


def _place_trackless(groups: list[PlannedGroup], trackless: list[Candidate]) -> None:
    """Each joins the smallest group of its genre, else the smallest of all (earliest on ties).

    Heaps of (size, position) per genre and overall keep this O(n log n); an entry whose group has
    grown since is refreshed when it reaches the top.
    """
    if not groups:
        return
    overall = [(group.size, position) for position, group in enumerate(groups)]
    by_genre: dict[str, list[tuple[int, int]]] = {}
    for position, group in enumerate(groups):
        for genre in group.genres:
            by_genre.setdefault(genre, []).append((group.size, position))
    for heap in (overall, *by_genre.values()):
        heapq.heapify(heap)
    for candidate in trackless:
        heap = by_genre.get(candidate.genre, overall)
        while heap[0][0] != groups[heap[0][1]].size:
            heapq.heapreplace(heap, (groups[heap[0][1]].size, heap[0][1]))
        groups[heap[0][1]].trackless.append(candidate)


def _candidates() -> list[Candidate]:
    rows = (
        FeedbackRequest.select(
            FeedbackRequest.id,
            FeedbackRequest.user,
            FeedbackRequest.media_url.is_null(False).alias("tracked"),
            FeedbackRequest.genre,
            FeedbackRequest.created_at,
            User.rating,
        )
        .join(User, on=(FeedbackRequest.user == User.id))
        .where(FeedbackRequest.group.is_null())
    )
    return [
        Candidate(id, user_id, bool(tracked), genre or "no_genre", created_at, rating)
        for id, user_id, tracked, genre, created_at, rating in tuple_rows(rows)
    ]


def _allocate_group_ids(count: int) -> list[int]:
    if is_postgres():
        cursor = database.execute_sql(
            "SELECT nextval(pg_get_serial_sequence('feedback_group', 'id')) FROM generate_series(1, %s)", (count,)
        )
        return sorted(row[0] for row in cursor.fetchall())
    # SQLite: the IMMEDIATE transaction holds the write lock, so nobody else can take these ids.
    start = (FeedbackGroup.select(FeedbackGroup.id).order_by(FeedbackGroup.id.desc()).limit(1).scalar() or 0) + 1
    return list(range(start, start + count))


def apply_plan(groups: list[PlannedGroup], now: datetime) -> dict[str, int]:
    ids = _allocate_group_ids(len(groups))
    group_rows = [
        (group_id, group.name(group_id), ",".join(sorted(group.genres)), now)
        for group_id, group in zip(ids, groups, strict=True)
    ]
    insert_rows("feedback_group", ("id", "name", "genres", "created_at"), group_rows)
    memberships: list[tuple[int, int]] = []
    responses: list[tuple[int, int, int]] = []
    for group_id, group in zip(ids, groups, strict=True):
        members = group.tracked + group.trackless
        memberships.extend((member.id, group_id) for member in members)
        for writer in members:
            for owner in group.tracked:
                if owner.id != writer.id:
                    responses.append((owner.id, writer.user_id, group_id))
    update_from_values("feedback_request", "group_id", memberships, where='"feedback_request".group_id IS NULL')
    insert_rows("feedback_response", ("request_id", "user_id", "group_id"), responses)
    emails_queued = 0
    for chunk in batched(ids, BATCH):
        wanted = FeedbackRequest.select(FeedbackRequest.user, FeedbackRequest.id, emails.GROUPED, now).where(
            FeedbackRequest.group.in_(chunk) & FeedbackRequest.email_when_grouped
        )
        emails_queued += _insert_outbox(wanted)
    return {
        "groups": len(groups),
        "assigned": len(memberships),
        "responses": len(responses),
        "emails_queued": emails_queued,
    }


def _insert_outbox(query: Any) -> int:
    columns = [EmailOutbox.user, EmailOutbox.request, EmailOutbox.kind, EmailOutbox.created_at]
    return int(EmailOutbox.insert_from(query, columns).as_rowcount().execute())


def assign_groups(settings: Settings) -> JobResult:
    """The whole job: plan and write in one transaction, then send the "grouped" emails."""
    now = utcnow()
    started = time.perf_counter()
    with job_transaction(JOB):
        groups, problems = plan_groups(_candidates())
        counts = apply_plan(groups, now) if groups else {"groups": 0, "assigned": 0, "responses": 0}
    committed = time.perf_counter()
    delivery = emails.deliver(emails.GROUPED, settings)
    counts |= {
        "emails_sent": delivery.sent,
        "emails_failed": delivery.retrying,
        "emails_refused": delivery.refused,
        "assign_ms": round((committed - started) * 1000),
        "email_ms": round((time.perf_counter() - committed) * 1000),
    }
    problems += emails.problems(delivery, "email")
    summary = f"{counts['assigned']} request(s) placed in {counts['groups']} group(s)"
    return JobResult(summary, counts, problems, outcome="partial" if delivery.retrying else "ok")


def main(argv: list[str] | None = None) -> int:
    return job_main(JOB, __doc__ or JOB, argv, assign_groups)
