"""The rating simulation (bench/rating_sim.py), small and seeded: the new rating follows reviewers'
true quality more closely than the plain mean of the last 15 did, and newcomers are no longer
grouped with the least helpful reviewers.

The margin: at this size (300 reviewers, 20 days) seeds 1-3 measured the new rating's Spearman
correlation 0.015-0.041 above the old one's, so the test asks for more than 0.01 on seed 1 (0.041
measured: 0.941 against 0.982). First-week partners in the bottom quartile of true quality, for
newcomers not in it themselves, seed 1: 25 % with the old rating, 9 % with the new one; only ~30
newcomers at this size, so seeds vary (seed 3: 11 % both): the full run is the evidence.
"""

from __future__ import annotations

from bench.rating_sim import simulate


def test_the_new_rating_is_fairer_than_the_mean_of_the_last_fifteen() -> None:
    old, new = simulate(reviewers=300, days=20, seed=1)
    assert old["rating"] == "mean of the last 15" and new["rating"] == "new (db/ratings.py)"
    assert old["ratings_given"] == new["ratings_given"] > 9000
    assert new["spearman"] > old["spearman"] + 0.01
    assert new["newcomers_with_bottom_quartile"] < old["newcomers_with_bottom_quartile"]
    assert new["days_to_top_half_median"] <= old["days_to_top_half_median"]
