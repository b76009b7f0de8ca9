"""`stats rebuild`: the rollups compared with (and optionally replaced by) a rebuild from raw rows.

The rebuild is the sum of `rollups.contribution` over all learners, the same function every live
update uses, so any difference points at a change that bypassed the rollups (or at a bug), never at
two formulas. Gathering every learner's rows is the learner layer's job (`app.learners.rebuild`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import delete, func, select, text  # SQLAlchemy's select: typed for any number of columns
from sqlmodel import Session, col

from app.db import is_postgresql
from app.stats import rollups
from app.stats.models import COUNTER_FIELDS, DAILY_FIELDS, CompletionDaily, CompletionRollup


@dataclass(frozen=True)
class Difference:
    key: tuple
    rollup: int
    rebuilt: int

    def __str__(self) -> str:
        kind, course, commune, *parts = self.key
        what = " ".join(str(part) for part in parts)
        return f"{kind} course={course} commune={commune} {what}: rollup {self.rollup}, rebuilt {self.rebuilt}"


def current_rollups(session: Session) -> Counter:
    """The rollups as stored, shards summed (zero counters left out)."""
    current: Counter = Counter()
    r = CompletionRollup
    for course, commune, *sums in session.execute(
        select(col(r.course_slug), col(r.commune), *(func.sum(getattr(r, f)) for f in COUNTER_FIELDS)).group_by(
            col(r.course_slug), col(r.commune)
        )
    ):
        for name, value in zip(COUNTER_FIELDS, sums, strict=True):
            current["rollup", course, commune, name] += int(value or 0)
    d = CompletionDaily
    for course, commune, day, *sums in session.execute(
        select(
            col(d.course_slug), col(d.commune), col(d.day), *(func.sum(getattr(d, f)) for f in DAILY_FIELDS)
        ).group_by(col(d.course_slug), col(d.commune), col(d.day))
    ):
        for name, value in zip(DAILY_FIELDS, sums, strict=True):
            current["daily", course, commune, day, name] += int(value or 0)
    return nonzero(current)


def nonzero(counts: Counter) -> Counter:
    """Zero counters left out (an erased commune leaves zero rows); negative ones kept, they are bugs."""
    return Counter({key: value for key, value in counts.items() if value})


def differences(current: Counter, rebuilt: Counter) -> list[Difference]:
    keys = sorted(set(current) | set(rebuilt), key=lambda key: tuple(str(part) for part in key))
    return [
        Difference(key, current.get(key, 0), rebuilt.get(key, 0))
        for key in keys
        if current.get(key, 0) != rebuilt.get(key, 0)
    ]


def lock_for_rewrite(session: Session) -> None:
    """Writers that move the rollups wait until the rebuild commits; then they add their own difference."""
    if is_postgresql(session):
        session.execute(text("LOCK TABLE completion_rollup, completion_daily IN EXCLUSIVE MODE"))


def compare(session: Session, *, rebuilt: Counter, write: bool) -> list[Difference]:
    """The differences between the stored rollups and `rebuilt`; with `write`, the rollups are replaced by
    `rebuilt` (on shard 0) in the caller's transaction (call `lock_for_rewrite` before gathering `rebuilt`)."""
    found = differences(current_rollups(session), rebuilt)
    if write and found:
        session.execute(delete(CompletionRollup))
        session.execute(delete(CompletionDaily))
        rollups.write_rows(session, rebuilt, shard=0)
    return found
