"""Small-cell suppression, by hand-made cases a statistician can check, and by its invariants."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.localities.official import COMMUNES_BY_PROVINCE, PROVINCES
from app.stats.service import Counts, completion_table, published_row, series_days
from app.stats.suppression import protect_group, protect_series

K = 10


def test_one_small_commune_alone_takes_the_next_smallest_with_it():
    cells = {"A": 3, "B": 50, "C": 20, "D": 0}
    assert protect_group(cells, k=K) == {"A", "C"}  # 73 - 50 = 23 = A + C: neither is known


def test_two_small_communes_whose_sum_is_small_take_a_third():
    assert protect_group({"A": 3, "B": 4, "C": 50, "D": 100}, k=K) == {"A", "B", "C"}


def test_two_small_communes_whose_sum_reaches_k_protect_each_other():
    assert protect_group({"A": 6, "B": 7, "C": 50}, k=K) == {"A", "B"}


def test_every_commune_small():
    assert protect_group({"A": 3, "B": 4, "C": 2, "D": 0}, k=K) == {"A", "B", "C"}


def test_nothing_small_nothing_withheld():
    assert protect_group({"A": 10, "B": 0, "C": 99}, k=K) == set()


def test_zeros_are_never_withheld_even_when_alone_with_a_small_cell():
    assert protect_group({"A": 3, "B": 0, "C": 0}, k=K, parent_withheld=True) == {"A"}


def test_a_withheld_parent_is_not_given_away_by_its_cells():
    assert protect_group({"A": 15, "B": 30, "C": 0}, k=K, parent_withheld=True) == {"A", "B"}


def test_ties_take_the_lowest_code():
    assert protect_group({"B": 20, "A": 20, "C": 5}, k=K) == {"A", "C"}


@given(st.dictionaries(st.sampled_from("ABCDEFGH"), st.integers(0, 40), min_size=1), st.integers(2, 12))
def test_no_withheld_cell_can_be_recovered_from_a_published_parent(cells, k):
    parent = sum(cells.values())
    withheld = protect_group(cells, k=k, parent_withheld=0 < parent < k)
    assert {c for c, v in cells.items() if 0 < v < k} <= withheld
    assert all(cells[c] > 0 for c in withheld)
    if withheld and not (0 < parent < k):
        assert len(withheld) >= 2 and sum(cells[c] for c in withheld) >= k


def _table(communes: dict[str, int], k: int = K, province: str | None = None):
    counts = {code: Counts(learners=n, completed=n) for code, n in communes.items()}
    return completion_table(counts, {}, k=k, province=province)


def _big_country(skip: str) -> dict[str, int]:
    """Every province but `skip` has 100 learners in its first commune."""
    return {COMMUNES_BY_PROVINCE[p][0].code: 100 for p in PROVINCES if p != skip}


def test_a_small_province_nationally_takes_the_next_smallest_province():
    communes = _big_country("08")
    communes[COMMUNES_BY_PROVINCE["08"][0].code] = 4
    communes[COMMUNES_BY_PROVINCE["01"][0].code] = 60  # now the smallest published province
    table = _table(communes)
    withheld = {cell.code for cell in table.provinces if "learners" in cell.withheld}
    assert withheld == {"08", "01"}
    assert published_row(table.total, k=K)["learners"] == 33 * 100 - 100 + 60 + 4


def test_a_province_where_every_commune_is_small():
    hanoi = [unit.code for unit in COMMUNES_BY_PROVINCE["01"]]
    communes = {**_big_country("01"), hanoi[0]: 2, hanoi[1]: 3, hanoi[2]: 1}
    table = _table(communes, province="01")
    assert "learners" in table.province.withheld  # 6 < k
    rows = {cell.code: published_row(cell, k=K) for cell in table.communes}
    assert [rows[c]["learners"] for c in hanoi[:3]] == [None, None, None]
    assert rows[hanoi[3]]["learners"] == 0  # empty communes are published as zeros
    assert len(rows) == 126


def test_a_province_withheld_as_a_complement_does_not_reveal_itself_through_its_communes():
    hanoi = [unit.code for unit in COMMUNES_BY_PROVINCE["01"]]
    communes = _big_country("08")
    communes[COMMUNES_BY_PROVINCE["08"][0].code] = 4
    communes[hanoi[0]] = 40
    communes[hanoi[1]] = 20  # Hà Nội = 60: the complement of Tuyên Quang
    table = _table(communes, province="01")
    assert "learners" in table.province.withheld
    rows = {cell.code: published_row(cell, k=K)["learners"] for cell in table.communes}
    assert rows[hanoi[0]] is None and rows[hanoi[1]] is None


def test_rates_from_withheld_counts_are_withheld():
    counts = {
        COMMUNES_BY_PROVINCE["01"][0].code: Counts(learners=50, completed=4, ratings=2, stars=10),
        COMMUNES_BY_PROVINCE["01"][1].code: Counts(learners=5, completed=0),
        **{code: Counts(learners=n, completed=n) for code, n in _big_country("01").items()},
    }
    table = completion_table(counts, {"01": 1000}, k=K, province="01")
    first, second = (published_row(cell, k=K) for cell in table.communes[:2])
    assert first["completed"] is None and first["completion_rate"] is None and first["satisfaction"] is None
    assert second["learners"] is None and second["completion_rate"] is None and second["completed"] == 0


def test_series_withholds_small_days_and_the_running_totals_that_would_reveal_them():
    points = protect_series([0, 12, 3, 0, 20, 15], k=K)
    assert [p.completed for p in points] == [0, 12, None, 0, None, 15]
    assert [p.running_total for p in points] == [0, 12, None, None, 35, 50]


def test_series_windows_agree_with_the_whole_series():
    first = date(2026, 1, 1)
    daily = {first + timedelta(days=i): v for i, v in enumerate([5, 0, 7, 30, 2, 40, 0, 11])}
    whole = series_days(daily, start=first, end=first + timedelta(days=9), k=K, withheld=False)
    window = series_days(daily, start=first + timedelta(days=3), end=first + timedelta(days=6), k=K, withheld=False)
    assert window == whole[3:7]
    assert whole[-1].running_total == 95


@given(st.lists(st.integers(0, 25), max_size=30), st.integers(2, 12))
def test_series_never_reveals_a_small_day(daily, k):
    points = protect_series(daily, k=k)
    last_total, withheld_since = 0, []
    for value, point in zip(daily, points, strict=True):
        if 0 < value < k:
            assert point.completed is None
        if point.completed is None:
            withheld_since.append(value)
        if point.running_total is not None:
            assert not withheld_since or (len(withheld_since) >= 2 and sum(withheld_since) >= k)
            last_total, withheld_since = point.running_total, []
    assert last_total <= sum(daily)
