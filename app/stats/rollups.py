"""Rollup counters: a learner's contribution (pure), and applying a difference of contributions.

Every change that can move the statistics (progress, completion, rating, a move to another commune,
erasure) is applied as `contribution(after) - contribution(before)` for the one learner concerned,
in the same transaction. `stats rebuild` sums the contributions of all learners, so the rollups and a
rebuild agree by construction, and a property test checks it.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache

from sqlmodel import Session

from app.clock import local_day
from app.db import Writes, dialect_insert, table_of
from app.stats.models import ALL_COURSES, COUNTER_FIELDS, DAILY_FIELDS, CompletionDaily, CompletionRollup

# Keys of a contribution Counter (days are counted in Vietnam's time):
#   ("rollup", course, commune, field)        field in COUNTER_FIELDS
#   ("daily", course, commune, day, field)    field in DAILY_FIELDS: completions that day, their key sum


def contribution(
    commune: str,
    enrolments: Iterable[tuple[str, datetime | None, bool]],
    ratings: Iterable[tuple[str, int]],
    *,
    record: int,
) -> Counter:
    """What one learner adds to the rollups: per course and for all courses ('*', counted once).

    `enrolments` are (course, completed_at, flagged); `record` is the learner's record key, added to the
    key sum of every count the learner is part of (the cell key method's input).
    """
    counts: Counter = Counter()
    enrolments = list(enrolments)

    def count(course: str, measure: str) -> None:
        counts["rollup", course, commune, measure] += 1
        counts["rollup", course, commune, f"{measure}_key"] += record

    def complete(course: str, completed_at: datetime, flagged: bool) -> None:
        count(course, "completed")
        if flagged:
            count(course, "flagged")
        counts["daily", course, commune, local_day(completed_at), "completed"] += 1
        counts["daily", course, commune, local_day(completed_at), "completed_key"] += record

    for course, completed_at, flagged in enrolments:
        count(course, "learners")
        if completed_at is not None:
            complete(course, completed_at, flagged)
    if enrolments:
        count(ALL_COURSES, "learners")
    completions = sorted((at, flagged) for _, at, flagged in enrolments if at is not None)
    if completions:
        complete(ALL_COURSES, *completions[0])  # the programme counts a learner's first completion
    for course, stars in ratings:
        for target in (course, ALL_COURSES):
            count(target, "ratings")
            counts["rollup", target, commune, "stars"] += stars
    return counts


def difference(after: Counter, before: Counter) -> Counter:
    """after - before, keeping negative values (Counter subtraction would drop them)."""
    delta: Counter = Counter()
    for key in set(after) | set(before):
        change = after.get(key, 0) - before.get(key, 0)
        if change:
            delta[key] = change
    return delta


def _transaction_shard(session: Session, shards: int) -> int:
    """One random shard per transaction: concurrent transactions spread over the shard rows, while
    several applies in one transaction reuse the rows they already hold (locks taken in one order,
    so two transactions cannot deadlock on them)."""
    root = id(session.get_transaction())  # an id reused by a later transaction only repeats a shard
    remembered = session.info.get("rollup_shard")
    if remembered is not None and remembered[0] == root and remembered[1] < shards:
        return remembered[1]
    shard = random.randrange(shards)  # noqa: S311 - spreading load, not security
    session.info["rollup_shard"] = (root, shard)
    return shard


def apply(session: Session, delta: Counter, *, shards: int, writes: Writes | None = None) -> None:
    """Add delta to the counters, on this transaction's shard row of each counter row (with `writes`: added
    to the change's writes, sent with them)."""
    write_rows(session, delta, shard=_transaction_shard(session, shards), writes=writes)


ROLLUP_KEYS = ("course_slug", "commune", "shard")
DAILY_KEYS = ("course_slug", "commune", "day", "shard")


@lru_cache(maxsize=8)
def _adding(dialect: str, daily: bool):
    """INSERT ... ON CONFLICT DO UPDATE SET field = field + excluded.field, built once per dialect and table
    (executed with a list of rows: one statement, its compiled form cached)."""
    table = table_of(CompletionDaily if daily else CompletionRollup)
    fields = DAILY_FIELDS if daily else COUNTER_FIELDS
    insert = dialect_insert(dialect, table)
    return insert.on_conflict_do_update(
        index_elements=list(DAILY_KEYS if daily else ROLLUP_KEYS),
        set_={name: table.c[name] + insert.excluded[name] for name in fields},
    )


def write_rows(session: Session, delta: Counter, *, shard: int, writes: Writes | None = None) -> None:
    """Add delta to the counter rows of one shard (one multi-row upsert per table, rows in a fixed order)."""
    now = writes is None
    writes = Writes() if writes is None else writes
    add_rows(writes, delta, shard=shard, dialect=session.get_bind().dialect.name)
    if now:
        writes.send(session)


def add_rows(writes: Writes, delta: Counter, *, shard: int, dialect: str) -> None:
    """`write_rows`'s upserts added to `writes` (no session: the learners' direct path sends them itself)."""
    rollups: dict[tuple[str, str], Counter] = {}
    daily: dict[tuple[str, str, date], Counter] = {}
    for key, change in delta.items():
        if not change:
            continue
        if key[0] == "rollup":
            rollups.setdefault((key[1], key[2]), Counter())[key[3]] += change
        else:
            daily.setdefault((key[1], key[2], key[3]), Counter())[key[4]] += change
    if rollups:
        rows = [
            {"course_slug": course, "commune": commune, "shard": shard, **{f: fields[f] for f in COUNTER_FIELDS}}
            for (course, commune), fields in sorted(rollups.items())
        ]
        writes.add(_adding(dialect, daily=False), rows, adding=(ROLLUP_KEYS, tuple(COUNTER_FIELDS)))
    if daily:
        rows = [
            {"course_slug": c, "commune": m, "day": day, "shard": shard, **{f: fields[f] for f in DAILY_FIELDS}}
            for (c, m, day), fields in sorted(daily.items())
        ]
        writes.add(_adding(dialect, daily=True), rows, adding=(DAILY_KEYS, tuple(DAILY_FIELDS)))
