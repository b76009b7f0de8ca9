"""`stats rebuild`'s input: every learner's contribution, from the domains' own rows, streamed in key order."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from itertools import groupby

from sqlmodel import Session, select

from app.learners.models import Learner
from app.progress import service as progress_service
from app.stats import ratings, rollups
from app.stats import rebuild as stats_rebuild
from app.stats.cellkey import record_key

BATCH = 5000


def _grouped(rows: Iterable[tuple]) -> Iterator[tuple[str, list[tuple]]]:
    for learner_key, group in groupby(rows, key=lambda row: row[0]):
        yield learner_key, [tuple(row[1:]) for row in group]


def _take(groups: Iterator[tuple[str, list[tuple]]]) -> Callable[[str], list[tuple]]:
    """A reader of one learner's rows at a time, for keys asked in ascending order."""
    pending = next(groups, None)

    def rows_of(key: str) -> list[tuple]:
        nonlocal pending
        while pending is not None and pending[0] < key:
            pending = next(groups, None)
        if pending is not None and pending[0] == key:
            own, pending = pending[1], next(groups, None)
            return own
        return []

    return rows_of


def rebuilt_rollups(session: Session) -> Counter:
    """The rollups as the raw rows say they should be (zero counters left out)."""
    enrolments_of = _take(_grouped(progress_service.all_enrolments(session, batch=BATCH)))
    ratings_of = _take(_grouped(ratings.all_ratings(session, batch=BATCH)))
    total: Counter = Counter()
    learners = session.execute(
        select(Learner.key, Learner.commune).order_by(Learner.key).execution_options(yield_per=BATCH)
    )
    for key, commune in learners:
        total.update(rollups.contribution(commune, enrolments_of(key), ratings_of(key), record=record_key(key)))
    return stats_rebuild.nonzero(total)


def rebuild(session: Session, *, write: bool) -> list[stats_rebuild.Difference]:
    """Compare the rollups with a rebuild from raw rows; with `write`, replace them (the caller commits)."""
    if write:
        stats_rebuild.lock_for_rewrite(session)
    return stats_rebuild.compare(session, rebuilt=rebuilt_rollups(session), write=write)
