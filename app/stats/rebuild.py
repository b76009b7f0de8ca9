"""`stats rebuild`: every rollup recomputed from raw rows (learners, enrolments, ratings) and compared.

The rebuild sums `rollups.contribution` over all learners, the same function every live update uses,
so any difference points at a change that bypassed the rollups (or at a bug), never at two formulas.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby

from sqlalchemy import delete, func, text
from sqlmodel import Session, select

from app.progress.models import Enrolment, Learner
from app.stats import rollups
from app.stats.models import CompletionDaily, CompletionRollup, Rating

FIELDS = ("learners", "completed", "ratings", "stars")
BATCH = 5000


@dataclass(frozen=True)
class Difference:
    key: tuple
    rollup: int
    rebuilt: int

    def __str__(self) -> str:
        kind, course, commune, what = self.key
        return f"{kind} course={course} commune={commune} {what}: rollup {self.rollup}, rebuilt {self.rebuilt}"


def _by_learner(session: Session, query) -> Iterator[tuple[str, list[tuple]]]:
    rows = session.execute(query.execution_options(yield_per=BATCH))
    for learner_key, group in groupby(rows, key=lambda row: row[0]):
        yield learner_key, [tuple(row[1:]) for row in group]


def rebuilt_rollups(session: Session) -> Counter:
    """The rollups as the raw rows say they should be (zero counters left out)."""
    enrolments = _by_learner(
        session,
        select(Enrolment.learner_key, Enrolment.course_slug, Enrolment.completed_at).order_by(
            Enrolment.learner_key, Enrolment.course_slug
        ),
    )
    ratings = _by_learner(
        session,
        select(Rating.learner_key, Rating.course_slug, Rating.stars).order_by(Rating.learner_key, Rating.course_slug),
    )
    next_enrolments, next_ratings = next(enrolments, None), next(ratings, None)
    total: Counter = Counter()
    learners = session.execute(
        select(Learner.key, Learner.commune).order_by(Learner.key).execution_options(yield_per=BATCH)
    )
    for key, commune in learners:
        own_enrolments, own_ratings = [], []
        while next_enrolments is not None and next_enrolments[0] <= key:
            if next_enrolments[0] == key:
                own_enrolments = next_enrolments[1]
            next_enrolments = next(enrolments, None)
        while next_ratings is not None and next_ratings[0] <= key:
            if next_ratings[0] == key:
                own_ratings = next_ratings[1]
            next_ratings = next(ratings, None)
        total.update(rollups.contribution(commune, own_enrolments, own_ratings))
    return _nonzero(total)


def current_rollups(session: Session) -> Counter:
    """The rollups as stored, shards summed (zero counters left out)."""
    current: Counter = Counter()
    r = CompletionRollup
    for course, commune, *sums in session.exec(
        select(r.course_slug, r.commune, *(func.sum(getattr(r, f)) for f in FIELDS)).group_by(r.course_slug, r.commune)
    ):
        for name, value in zip(FIELDS, sums, strict=True):
            current["rollup", course, commune, name] += int(value or 0)
    d = CompletionDaily
    for course, commune, day, value in session.exec(
        select(d.course_slug, d.commune, d.day, func.sum(d.completed)).group_by(d.course_slug, d.commune, d.day)
    ):
        current["daily", course, commune, day] += int(value or 0)
    return _nonzero(current)


def _nonzero(counts: Counter) -> Counter:
    """Zero counters left out (an erased commune leaves zero rows); negative ones kept, they are bugs."""
    return Counter({key: value for key, value in counts.items() if value})


def differences(current: Counter, rebuilt: Counter) -> list[Difference]:
    keys = sorted(set(current) | set(rebuilt), key=lambda key: tuple(str(part) for part in key))
    return [
        Difference(key, current.get(key, 0), rebuilt.get(key, 0))
        for key in keys
        if current.get(key, 0) != rebuilt.get(key, 0)
    ]


def _lock(session: Session) -> None:
    """Writers that move the rollups wait until the rebuild commits; then they add their own difference."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE completion_rollup, completion_daily IN EXCLUSIVE MODE"))


def rebuild(session: Session, *, write: bool) -> list[Difference]:
    """Compare the rollups with a rebuild; with `write`, replace them by the rebuild (on shard 0)."""
    if write:
        _lock(session)
    rebuilt = rebuilt_rollups(session)
    found = differences(current_rollups(session), rebuilt)
    if write and found:
        session.execute(delete(CompletionRollup))
        session.execute(delete(CompletionDaily))
        rollups.write_rows(session, rebuilt, shard=0)
    if write:
        session.commit()
    return found
