"""The contract's grouping rules, on the pure planner (no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from db.group_planning import Candidate, group_sizes, plan_groups

T0 = dt.datetime(2026, 1, 1)
_ids = iter(range(1, 10_000))


def request(
    genre: str = "electronic", rating: float | None = None, tracked: bool = True, minutes: int = 0
) -> Candidate:
    number = next(_ids)
    return Candidate(number, 1000 + number, tracked, genre, T0 + dt.timedelta(minutes=minutes), rating)


EXPECTED = {
    1: [],
    2: [2],
    3: [3],
    4: [4],
    5: [5],
    6: [3, 3],
    7: [4, 3],
    8: [4, 4],
    9: [3, 3, 3],
    10: [4, 3, 3],
    11: [4, 4, 3],
    12: [4, 4, 4],
    13: [4, 3, 3, 3],
    14: [4, 4, 3, 3],
    15: [4, 4, 4, 3],
    16: [4, 4, 4, 4],
    17: [4, 4, 3, 3, 3],
    18: [4, 4, 4, 3, 3],
    19: [4, 4, 4, 4, 3],
    20: [4, 4, 4, 4, 4],
    21: [4, 4, 4, 3, 3, 3],
    22: [4, 4, 4, 4, 3, 3],
    23: [4, 4, 4, 4, 4, 3],
    24: [4] * 6,
    25: [4, 4, 4, 4, 3, 3, 3],
}


@pytest.mark.parametrize("n", range(1, 26))
def test_same_genre_group_sizes(n: int) -> None:
    assert group_sizes(n) == EXPECTED[n]
    groups, problems = plan_groups([request() for _ in range(n)])
    assert [len(group.tracked) for group in groups] == EXPECTED[n]
    assert not problems
    assert all(2 not in (len(g.tracked),) or n == 2 for g in groups)


def test_two_and_two_of_two_genres_make_one_group_of_four() -> None:
    groups, _ = plan_groups([request("jazz"), request("jazz"), request("pop"), request("pop")])
    assert len(groups) == 1 and len(groups[0].tracked) == 4 and groups[0].genres == {"jazz", "pop"}
    assert groups[0].name(7) == "Feedback Group #7 - Jazz/Pop"


def test_three_singleton_genres_make_one_group_of_three() -> None:
    groups, _ = plan_groups([request("jazz"), request("pop"), request("hip_hop")])
    assert len(groups) == 1 and groups[0].genres == {"jazz", "pop", "hip_hop"}
    assert groups[0].name(1) == "Feedback Group #1 - Hip Hop/Jazz/Pop"


def test_big_genres_stay_apart_and_small_ones_merge() -> None:
    candidates = [request("electronic") for _ in range(4)] + [request("jazz") for _ in range(3)] + [request("pop")]
    groups, _ = plan_groups(candidates)
    genres = sorted(sorted(group.genres) for group in groups)
    assert genres == [["electronic"], ["jazz", "pop"]]


def test_unknown_genres_are_grouped_not_fatal() -> None:
    groups, _problems = plan_groups([request("polka"), request("polka"), request("polka")])
    assert len(groups) == 1 and groups[0].name(3) == "Feedback Group #3 - Polka"


def test_rating_order_puts_similar_ratings_together() -> None:
    ratings = [1.0, 5.0, 2.0, 4.8, 1.2, 4.9, 2.1, 5.0]
    groups, _ = plan_groups([request(rating=rating) for rating in ratings])
    assert [sorted(c.rating or 0 for c in group.tracked) for group in groups] == [
        [4.8, 4.9, 5.0, 5.0],
        [1.0, 1.2, 2.0, 2.1],
    ]


def test_ties_break_by_age_then_id_and_no_rating_counts_as_zero() -> None:
    old = request(rating=None, minutes=0)
    new = request(rating=None, minutes=5)
    zero = request(rating=0.0, minutes=5)
    best = request(rating=3.0, minutes=9)
    groups, _ = plan_groups([new, zero, old, best])
    assert [c.id for c in groups[0].tracked] == [best.id, old.id, new.id, zero.id]


def test_trackless_requests_join_the_smallest_group_of_their_genre() -> None:
    tracked = [request("electronic") for _ in range(4)] + [request("jazz") for _ in range(3)]
    jazz_fan = request("jazz", rating=4.0, tracked=False)
    pop_fan = request("pop", rating=3.0, tracked=False)
    later_jazz_fan = request("jazz", rating=1.0, tracked=False)
    groups, _ = plan_groups([*tracked, jazz_fan, pop_fan, later_jazz_fan])
    by_genre = {next(iter(group.genres)): group for group in groups}
    assert [c.id for c in by_genre["jazz"].trackless] == [jazz_fan.id, later_jazz_fan.id]
    # No pop group: the smallest group of the run (jazz, 4 members by then) vs electronic (4): earliest wins.
    assert pop_fan.id in [c.id for group in groups for c in group.trackless]


def test_trackless_requests_wait_when_no_group_forms() -> None:
    groups, _ = plan_groups([request(tracked=False), request(tracked=False)])
    assert groups == []
    groups, _ = plan_groups([request(), request(tracked=False)])
    assert groups == []


def test_a_second_request_of_the_same_owner_is_skipped_and_reported() -> None:
    first = request()
    twin = Candidate(99_999, first.user_id, True, "electronic", T0, None)
    groups, problems = plan_groups([first, twin, request(), request()])
    assert sum(len(group.tracked) for group in groups) == 3
    assert problems and "99999" in problems[0]
