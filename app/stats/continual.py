"""Continual release (pure): a counter published at every release, its noise added once per change.

Each published count is a stream: at release step t (1, 2, 3, ...) the change since the previous step,
x_t = true total now - true total then, goes into a binary tree of partial sums (the binary mechanism of
Chan, Shi and Song, "Private and continual release of statistics", 2011). A partial sum is noised once,
when it is complete, and never again; the published total at step t is the sum of the noised partial
sums that the binary digits of t name. So:

- a change (a learner joining, completing, leaving by erasure or by a move) enters the published figures
  once, on the step it happens, with fresh noise; nothing published before it moves;
- each change is part of at most `levels` noised partial sums over the whole programme (what the privacy
  accounting charges, app/stats/privacy.py), and a published total is the sum of at most `levels - 1` of
  them, so its error grows with the logarithm of the number of steps, not with its square root;
- two releases with nothing changed still differ (a new partial sum with new noise is completed at each
  step), so a figure that moves proves nothing.

The noise itself is drawn by the caller (a `Draw`), so this module stays pure and testable.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

Draw = Callable[[int], list[int]]  # n independent noise values (app/stats/privacy.py: discrete Gaussian)
Z95 = 1.959963984540054  # the standard normal's 97.5% quantile: a 95% two-sided margin


def lowest_bit(step: int) -> int:
    """The level whose partial sum completes at `step` (1-based): the index of its lowest set bit."""
    return (step & -step).bit_length() - 1


def nodes_in_total(step: int) -> int:
    """How many noised partial sums a published total at `step` adds up: the number of ones in `step`."""
    return step.bit_count()


def nodes_in_change(step: int) -> int:
    """How many noised partial sums the difference of the totals at `step` and `step - 1` involves: the
    new one, minus the ones it replaced (one per level below it)."""
    return lowest_bit(step) + 1


def margin(sigma: float, nodes: int) -> int:
    """The 95% margin of a sum of `nodes` independent noises of standard deviation sigma, rounded up."""
    return math.ceil(Z95 * sigma * math.sqrt(nodes)) if nodes else 0


@dataclass
class Stream:
    """One published counter's state: the true total at the last step, and each level's partial sum, exact
    and noised (a level is 0 when it is not part of the current decomposition)."""

    last: int = 0
    exact: list[int] = field(default_factory=list)
    noisy: list[int] = field(default_factory=list)

    def as_list(self) -> list[int]:
        return [self.last, *self.exact, *self.noisy]

    @classmethod
    def from_list(cls, values: list[int], levels: int) -> Stream:
        values = list(values) + [0] * (1 + 2 * levels - len(values))
        return cls(values[0], values[1 : 1 + levels], values[1 + levels : 1 + 2 * levels])

    def fit(self, levels: int) -> None:
        """Levels added (a longer horizon) start empty."""
        self.exact += [0] * (levels - len(self.exact))
        self.noisy += [0] * (levels - len(self.noisy))


def advance(
    streams: dict[str, Stream], truths: Mapping[str, int], *, step: int, levels: int, draw: Draw
) -> dict[str, int]:
    """Feed step `step` (1-based) to every stream: the change since its last step enters the tree, the
    completed partial sum is noised, and the noisy total is returned per code. Every code in `truths`
    gets a stream (missing ones start at zero); a stream whose code is missing from `truths` counts 0.
    """
    if not 1 <= step < 2 ** (levels - 1) + 1:
        raise ValueError(f"step {step} is past the horizon of {2 ** (levels - 1)} steps")
    for code in truths:
        streams.setdefault(code, Stream())
    codes = sorted(streams)
    level = lowest_bit(step)
    noises = draw(len(codes))
    totals: dict[str, int] = {}
    for code, noise in zip(codes, noises, strict=True):
        stream = streams[code]
        stream.fit(levels)
        truth = truths.get(code, 0)
        change, stream.last = truth - stream.last, truth
        merged = sum(stream.exact[:level]) + change
        for below in range(level):
            stream.exact[below] = stream.noisy[below] = 0
        stream.exact[level], stream.noisy[level] = merged, merged + noise
        totals[code] = sum(stream.noisy[j] for j in range(levels) if step >> j & 1)
    return totals
