"""The cell key method (pure): consistent perturbation of published counts.

Every learner has a record key, a 32-bit number derived from their (secret, peppered) learner key.
A table cell's cell key is the sum of its contributors' record keys modulo 2^32, kept current in the
rollup counters beside each count. The noise added to a cell is a deterministic function of its cell
key and the measure, so:

- the same cell (the same set of people) always gets the same noise: asking again, in the same or a
  later release, cannot average it away;
- a change of one person re-draws the noise: the difference between two releases is the true
  change plus the difference of two independent noises, which does not tell whether one person left.

A count is then published only if its perturbed value reaches k; anything else, zero included, is
withheld. Parameters (k, the maximum noise, its decay) come from the settings and are
recorded in each release. Modelled on the ABS TableBuilder's cell key perturbation, with a
truncated two-sided geometric distribution instead of a tuned p-table.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

MODULUS = 2**32
DEFAULT_DECAY = 0.5  # P(noise = j) ∝ decay^|j|: with 0.5, |noise| ≤ 2 in 5 cases of 6


def record_key(learner_key: str) -> int:
    """The learner's record key; unknowable without their learner key (itself an HMAC with the pepper)."""
    return int.from_bytes(hashlib.sha256(b"cell-key\n" + learner_key.encode()).digest()[:4], "big")


@lru_cache(maxsize=8)
def _thresholds(max_noise: int, decay: float) -> tuple[tuple[float, int], ...]:
    """Cumulative probabilities of the noise values -D..D: a two-sided geometric distribution (weights
    decay^|j|, mean 0) cut at ±D. Its tails are thin but reach D, so a published figure, even at the
    edge of its range, leaves several true values possible."""
    values = range(-max_noise, max_noise + 1)
    weights = [decay ** abs(v) for v in values]
    total, running, out = sum(weights), 0.0, []
    for value, weight in zip(values, weights, strict=True):
        running += weight
        out.append((running / total, value))
    return tuple(out)


def noise(cell_key: int, measure: str, max_noise: int, decay: float = DEFAULT_DECAY) -> int:
    """The perturbation of one cell and measure: the same for the same contributors, from -D to D."""
    if max_noise == 0:
        return 0
    digest = hashlib.sha256(f"{measure}\n{cell_key % MODULUS}".encode()).digest()
    uniform = int.from_bytes(digest[:8], "big") / 2**64
    for cumulative, value in _thresholds(max_noise, decay):
        if uniform < cumulative:
            return value
    return max_noise


def protect(
    value: int,
    cell_key: int,
    measure: str,
    *,
    k: int,
    max_noise: int,
    decay: float = DEFAULT_DECAY,
) -> int | None:
    """The publishable count: value + noise if that reaches k, else None.

    Zero is protected like any small count (the noise bound is below k, so it is never published):
    a commune going from "fewer than k" to an exact 0 would tell that its last learners left, and
    "none of them completed" is a fact about people too.
    """
    perturbed = value + noise(cell_key, measure, max_noise, decay)
    return perturbed if perturbed >= k else None
