"""The privacy guarantee of the statistics, as numbers: mechanism, per-learner bounds and accounting.

Every published count is a continual-release stream (app/stats/continual.py) whose partial sums get
discrete Gaussian noise from OpenDP. A *family* is one measure at one level for one course key
(e.g. province x "completed" x course "an-toan"), a vector of streams, one per locality. What one learner
can change in a family over the whole programme is bounded:

- a learner is in one locality at a time, and their contribution to a cell is 0 or 1 (a count) or 0..5
  (stars);
- it changes at most `cell_events` times: joining, leaving by erasure, each counted move (which changes
  two cells: the old commune and the new one) and, for stars, each counted change of a rating;
- each change lies in at most `levels` noised partial sums.

So a learner's L2 sensitivity in a family is sqrt(levels x cell_events) x value bound, its zCDP cost
rho = sensitivity^2 / (2 sigma^2) (OpenDP's own privacy map of its Gaussian mechanism), and the
programme's total is the sum over families (zCDP composes by addition), converted to (epsilon, delta)
by OpenDP. Moves and rating changes beyond the counted ones still happen for the learner; the statistics
keep counting the learner where (and as) they last counted them, so the bounds hold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import opendp.prelude as dp

from app.config import Settings
from app.stats.continual import margin

dp.enable_features("contrib")  # OpenDP's constructors are marked contrib until their proofs are vetted

COMMUNE, PROVINCE, NATIONAL_LEVEL = "commune", "province", "national"
COUNT_MEASURES = ("learners", "completed", "flagged", "ratings")
STARS = "stars"
STAR_BOUND = 5  # a rating is 1 to 5 stars
COMMUNE_MEASURES = ("learners", "completed")  # commune figures: all courses only (docs/statistics-disclosure.md)
AREA_MEASURES = (*COUNT_MEASURES, STARS)


@dataclass(frozen=True)
class Family:
    level: str  # commune, province or national
    course: str  # a course slug or '*'
    measure: str

    @property
    def key(self) -> str:
        return f"{self.level}/{self.course}/{self.measure}"


@dataclass(frozen=True)
class Budget:
    """The protection parameters of a release, and what they cost per learner."""

    sigma_commune: float
    sigma_area: float
    stars_factor: float
    horizon: int  # releases the accounting covers
    counted_moves: int
    counted_rating_changes: int
    delta: float
    k: int
    satisfaction_min_ratings: int

    @classmethod
    def from_settings(cls, settings: Settings) -> Budget:
        return cls(
            sigma_commune=settings.stats_sigma_commune,
            sigma_area=settings.stats_sigma_area,
            stars_factor=settings.stats_sigma_stars_factor,
            horizon=settings.stats_horizon_releases,
            counted_moves=settings.stats_counted_moves,
            counted_rating_changes=settings.stats_counted_rating_changes,
            delta=settings.stats_delta,
            k=settings.suppression_k,
            satisfaction_min_ratings=max(settings.stats_satisfaction_min_ratings, settings.suppression_k),
        )

    @property
    def levels(self) -> int:
        """Levels of the binary tree over `horizon` steps: a change lies in at most this many partial sums."""
        return max(1, math.ceil(math.log2(self.horizon))) + 1

    def sigma(self, family: Family) -> float:
        base = self.sigma_commune if family.level == COMMUNE else self.sigma_area
        return base * (self.stars_factor if family.measure == STARS else 1)

    def cell_events(self, family: Family) -> int:
        """How many times one learner's contribution to the family's cells can change over the programme."""
        moves = 0 if family.level == NATIONAL_LEVEL else 2 * self.counted_moves  # a move: one cell out, one in
        changes = self.counted_rating_changes if family.measure == STARS else 0
        return 2 + moves + changes  # joining and leaving (erasure) included

    def sensitivity(self, family: Family) -> float:
        """One learner's L2 sensitivity over the family's noised partial sums, for the whole programme."""
        bound = STAR_BOUND if family.measure == STARS else 1
        return math.sqrt(self.levels * self.cell_events(family)) * bound

    def rho(self, family: Family) -> float:
        sigma = self.sigma(family)
        return 0.0 if sigma == 0 else float(_gaussian(sigma).map(self.sensitivity(family)))

    def total_rho(self, families: list[Family]) -> float:
        return sum(self.rho(f) for f in families)

    def epsilon(self, rho: float) -> float:
        """The (epsilon, delta) guarantee of a total zCDP cost rho, by OpenDP's conversion."""
        if rho == 0:
            return 0.0
        # a unit Gaussian mechanism whose cost at d_in = sqrt(2 rho) is rho, converted by OpenDP
        profile = dp.c.make_zCDP_to_approxDP(_gaussian(1.0)).map(math.sqrt(2 * rho))
        return float(profile.epsilon(self.delta))

    def margin(self, family: Family, nodes: int) -> int:
        return margin(self.sigma(family), nodes)

    def as_dict(self, families: list[Family]) -> dict:
        """The method as recorded with each release and shown with every table."""
        rho = self.total_rho(families)
        by_family: dict[str, float] = {}
        for family in families:
            name = f"{family.level}/{family.measure}"
            by_family[name] = round(by_family.get(name, 0.0) + self.rho(family), 6)
        return {
            "method": "continual release: binary-tree partial sums with discrete Gaussian noise (OpenDP)",
            "edition": 2,
            "guarantee": {
                "unit": "one learner over the whole programme (every release, every table)",
                "rho_zcdp": round(rho, 6),
                "epsilon": round(self.epsilon(rho), 4),
                "delta": self.delta,
                "rho_by_level_and_measure": by_family,
                "courses": len({f.course for f in families}),
            },
            "sigma_commune": self.sigma_commune,
            "sigma_area": self.sigma_area,
            "sigma_stars": self.sigma_area * self.stars_factor,
            "horizon_releases": self.horizon,
            "tree_levels": self.levels,
            "counted_moves": self.counted_moves,
            "counted_rating_changes": self.counted_rating_changes,
            "k": self.k,
            "satisfaction_min_ratings": self.satisfaction_min_ratings,
        }


def families_for(courses: list[str]) -> list[Family]:
    """Every family a release publishes, for the course keys given ('*' among them)."""
    out = [Family(COMMUNE, "*", m) for m in COMMUNE_MEASURES]
    for level in (PROVINCE, NATIONAL_LEVEL):
        out += [Family(level, course, m) for course in sorted(courses) for m in AREA_MEASURES]
    return out


@cache
def _gaussian(sigma: float) -> dp.Measurement:
    """OpenDP's Gaussian mechanism on vectors of float counts (its privacy map gives rho for an L2 bound)."""
    space = dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.l2_distance(T=float)
    return dp.m.make_gaussian(*space, scale=sigma)


@cache
def _discrete_gaussian(sigma: float) -> dp.Measurement:
    space = dp.vector_domain(dp.atom_domain(T=int)), dp.l2_distance(T=int)
    return dp.m.make_gaussian(*space, scale=sigma)


def draw(sigma: float):
    """A noise source for app/stats/continual.advance: n discrete Gaussian values of scale sigma, drawn by
    OpenDP from the operating system's secure randomness (zeros when sigma is 0, for development only)."""

    def noises(n: int) -> list[int]:
        if sigma == 0 or n == 0:
            return [0] * n
        return list(_discrete_gaussian(sigma)([0] * n))

    return noises
