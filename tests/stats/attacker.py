"""An attacker who knows the protection method (k, the noise bound) but not the noise, and reasons with intervals.

Every published figure bounds the true count; sums along the locality hierarchy tie the bounds together;
bounds are tightened until nothing moves. A true count is *determined* when its interval holds one value.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Bound:
    lo: int
    hi: int

    @property
    def determined(self) -> bool:
        return self.lo == self.hi

    def holds(self, value: int) -> bool:
        return self.lo <= value <= self.hi


def bound_of(published: int | None, *, k: int, noise: int, cap: int | None = None) -> Bound:
    """What one published figure says about its true count.

    A number p was published because p >= k, and differs from the truth by at most `noise`. None means the
    perturbed value stayed below k: anything from 0 up to k - 1 + noise (at most `cap`).
    """
    if published is None:
        upper = k - 1 + noise
        return Bound(0, upper if cap is None else min(upper, cap))
    return Bound(max(published - noise, 0), published + noise)


def tighten_sum(total: Bound, parts: list[Bound]) -> bool:
    """total = sum(parts): narrow every bound; True when something moved."""
    moved = False
    lo, hi = sum(p.lo for p in parts), sum(p.hi for p in parts)
    if lo > total.lo or hi < total.hi:
        total.lo, total.hi, moved = max(total.lo, lo), min(total.hi, hi), True
    for part in parts:
        others_lo, others_hi = lo - part.lo, hi - part.hi
        new_lo, new_hi = max(part.lo, total.lo - others_hi), min(part.hi, total.hi - others_lo)
        if (new_lo, new_hi) != (part.lo, part.hi):
            part.lo, part.hi, moved = new_lo, new_hi, True
    return moved


def propagate(hierarchy: list[tuple[Bound, list[Bound]]], rounds: int = 50) -> None:
    """Tighten every (total, parts) relation until a fixed point."""
    for _ in range(rounds):
        if not any([tighten_sum(total, parts) for total, parts in hierarchy]):
            return
