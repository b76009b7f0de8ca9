"""The cell key method and the release's protection rules, as pure functions."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from app.stats.cellkey import noise, protect, record_key
from app.stats.release import Method, Sums, protect_series, published_cell

METHOD = Method(k=10, max_noise=4, decay=0.5, satisfaction_min_ratings=20, programme_start=date(2025, 3, 26))


def test_noise_is_consistent_bounded_and_centred():
    assert noise(12345, "learners", 4) == noise(12345, "learners", 4)
    draws = Counter(noise(key * 7919, "learners", 4) for key in range(20_000))
    assert set(draws) == set(range(-4, 5))
    assert abs(sum(v * n for v, n in draws.items()) / 20_000) < 0.05  # mean 0
    assert draws[0] > draws[1] > draws[2] > draws[4] > 0  # most weight near 0, tails thin but reached
    assert abs(draws[1] - draws[-1]) < 0.1 * draws[1]  # symmetric


def test_measures_of_one_cell_get_independent_noise():
    same = sum(noise(key, "learners", 4) == noise(key, "completed", 4) for key in range(5000))
    assert same < 0.5 * 5000


def test_record_keys_are_32_bit_and_spread():
    keys = {record_key(f"{n:064x}") for n in range(1000)}
    assert len(keys) == 1000 and all(0 <= key < 2**32 for key in keys)


def test_protect_publishes_large_counts_withholds_small_ones_and_zero():
    assert all(protect(0, key, "learners", k=10, max_noise=4) is None for key in range(300))
    for value in range(1, 6):  # 1..k-1-D can never reach k
        assert all(protect(value, key, "learners", k=10, max_noise=4) is None for key in range(300))
    published = [protect(50, key, "learners", k=10, max_noise=4) for key in range(300)]
    assert all(46 <= p <= 54 for p in published) and len(set(published)) > 3


def _sums(**values: int) -> Sums:
    sums = Sums()
    sums.add(values)
    return sums


def test_learners_and_completed_are_withheld_together():
    row = published_cell(_sums(learners=3, learners_key=111, completed=3, completed_key=111), METHOD)
    assert row == {"learners": None, "completed": None, "flagged": None, "satisfaction": None}
    empty = published_cell(_sums(), METHOD)  # nobody there: withheld too, so "everyone left" cannot be seen
    assert empty == {"learners": None, "completed": None, "flagged": None, "satisfaction": None}


def test_nobody_completed_is_not_published_as_zero():
    """'None of them completed' is a fact about people: a zero part-count is protected like a small one."""
    row = published_cell(_sums(learners=40, learners_key=987654), METHOD)
    assert row["learners"] is not None and row["completed"] is None and row["flagged"] is None


def test_completed_never_exceeds_learners_and_rates_use_published_figures():
    for key in range(200):
        row = published_cell(_sums(learners=30, learners_key=key, completed=30, completed_key=key * 31 + 7), METHOD)
        assert row["completed"] <= row["learners"]


def test_satisfaction_needs_enough_ratings_and_is_coarse():
    few = published_cell(_sums(learners=40, learners_key=5, ratings=12, ratings_key=5, stars=48), METHOD)
    assert few["satisfaction"] is None
    many = published_cell(_sums(learners=400, learners_key=5, ratings=300, ratings_key=9, stars=1200), METHOD)
    assert many["satisfaction"] == round(many["satisfaction"], 1) and abs(many["satisfaction"] - 4.0) <= 0.1


def test_series_totals_never_go_back_and_days_are_their_differences():
    start = METHOD.programme_start
    daily = {start + timedelta(days=d): (n, n * 1_000_003 + d) for d, n in enumerate([0, 4, 9, 0, 1, 30, 2])}
    points = protect_series(daily, start=start, end=start + timedelta(days=8), method=METHOD)
    totals = [p.running_total for p in points]
    assert totals[0] is None and totals[1] is None  # 0, then 4 so far: fewer than k
    published = [t for t in totals if t is not None]
    assert published == sorted(published)
    for before, after in zip(points, points[1:], strict=False):
        if before.running_total is not None and after.running_total is not None:
            assert after.completed == after.running_total - before.running_total
        else:
            assert after.completed is None
    assert abs(totals[-1] - 46) <= METHOD.max_noise
