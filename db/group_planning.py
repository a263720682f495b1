"""The grouping plan, made in memory from the waiting requests: the contract's steps 1-4.

Pure (no database): `plan_groups(candidates)` returns the groups to form and a note for every
request it skipped; `db/grouping.py` reads the candidates and writes the plan.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from datetime import datetime

from db.genres import label


@dataclass(frozen=True)
class Candidate:
    id: int
    user_id: int
    tracked: bool
    genre: str
    created_at: datetime
    rating: float | None
    struck: bool = False  # has an active strike (db/deadlines.py)

    @property
    def order_key(self) -> tuple[bool, float, datetime, int]:
        """Struck members first, so that consecutive slices put them in groups of their own."""
        rating = self.rating if self.rating is not None and not math.isnan(self.rating) else 0.0
        return (not self.struck, -rating, self.created_at, self.id)


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
    """Each joins the smallest group of its genre, else the smallest of all (earliest on ties); a
    struck member the smallest group with struck members, if there is one.

    Heaps of (size, position) per genre and overall keep this O(n log n); an entry whose group has
    grown since is refreshed when it reaches the top.
    """
    if not groups:
        return
    overall = [(group.size, position) for position, group in enumerate(groups)]
    with_struck = [(group.size, position) for position, group in enumerate(groups) if _has_struck(group)]
    by_genre: dict[str, list[tuple[int, int]]] = {}
    for position, group in enumerate(groups):
        for genre in group.genres:
            by_genre.setdefault(genre, []).append((group.size, position))
    for heap in (overall, with_struck, *by_genre.values()):
        heapq.heapify(heap)
    for candidate in trackless:
        heap = with_struck if candidate.struck and with_struck else by_genre.get(candidate.genre, overall)
        while heap[0][0] != groups[heap[0][1]].size:
            heapq.heapreplace(heap, (groups[heap[0][1]].size, heap[0][1]))
        groups[heap[0][1]].trackless.append(candidate)


def _has_struck(group: PlannedGroup) -> bool:
    return any(member.struck for member in group.tracked)
