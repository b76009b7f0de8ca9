"""Small-cell suppression (pure): which counts may be published so that nobody can be singled out.

Primary rule: a count from 1 to k-1 is withheld. Zeros and counts of k or more are published.

Complementary rule, for a group of cells that add up to a parent figure (the communes of a province,
the provinces of the country, the days of a time series), applied to each measure on its own:

1. If the parent is published, `parent - published cells` is the sum of the withheld cells, so the
   withheld cells must be at least two and add up to k or more; while they are not, the smallest
   non-zero published cell (ties: the lowest code) is withheld too.
2. If the parent is itself withheld, the group must not give it away: at least one non-zero cell is
   withheld, then rule 1 applies as well (the parent can be linked to other tables).
3. Zeros are never withheld: an empty commune is not a person. When no non-zero cell is left to
   withhold, the withheld cells are every non-zero cell of the group, whose sum is the parent,
   which rule 1 or 2 one level up already protects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


def is_small(value: int, k: int) -> bool:
    """A count that may not be published on its own (1..k-1)."""
    return 0 < value < k


def protect_group(cells: Mapping[str, int], *, k: int, parent_withheld: bool = False) -> set[str]:
    """The codes to withhold among `cells`, whose sum is a parent figure (published unless `parent_withheld`)."""
    withheld = {code for code, value in cells.items() if is_small(value, k)}
    candidates = sorted((value, code) for code, value in cells.items() if value > 0 and code not in withheld)
    if parent_withheld and not withheld and candidates:
        withheld.add(candidates.pop(0)[1])
    while withheld and candidates and (len(withheld) < 2 or sum(cells[c] for c in withheld) < k):
        withheld.add(candidates.pop(0)[1])
    return withheld


def publish(value: int, withheld: bool) -> int | None:
    return None if withheld else value


@dataclass(frozen=True)
class SeriesPoint:
    completed: int | None  # new completions that day
    running_total: int | None


def protect_series(daily: Sequence[int], *, k: int) -> list[SeriesPoint]:
    """Daily counts and running totals from the first day of the series, safe to publish together.

    Two published running totals differ by the sum of the days between them, so a running total is
    published only when the days withheld since the last published one are none, or at least two adding
    up to k or more; to get there, the next non-zero day after a withheld one is withheld as well.
    The series must start on the first day ever counted (the running total before it is 0), so that
    every window cut from it gives the same answer.
    """
    points = []
    running = pending_sum = pending_count = 0
    for value in daily:
        running += value
        withhold_day = is_small(value, k) or (
            pending_count > 0 and value > 0 and (pending_count < 2 or pending_sum < k)
        )
        if withhold_day:
            pending_sum += value
            pending_count += 1
        resolved = pending_count == 0 or (pending_count >= 2 and pending_sum >= k)
        publish_total = resolved and not is_small(running, k)
        if publish_total:
            pending_sum = pending_count = 0
        points.append(SeriesPoint(publish(value, withhold_day), publish(running, not publish_total)))
    return points
