"""Releases: every statistics table computed at once from the live counters, protected, and stored.

Statistics are published only from releases, never from the live counters, so a figure changes at a
release time and not with each transaction: one learner's action cannot be timed by reading before
and after it. A release reads the counters once, perturbs every cell with the cell key method
(app/stats/cellkey.py) and stores what may be published; every statistics call then reads a bounded
number of stored rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, insert
from sqlalchemy import select as core_select  # typed for any number of columns (sqlmodel's select: up to 4)
from sqlmodel import Session, col, select

from app.clock import local_day
from app.config import Settings
from app.db import insert_for, table_of
from app.localities.official import COMMUNES, PROVINCES
from app.stats.cellkey import MODULUS, noise, protect
from app.stats.models import (
    COUNTS,
    KEY_SUMS,
    CompletionDaily,
    CompletionRollup,
    ReleaseCell,
    ReleaseDay,
    StatsRelease,
)

NATIONAL = "national"


@dataclass(frozen=True)
class Method:
    """The protection parameters of one release (stored with it)."""

    k: int
    max_noise: int
    decay: float
    satisfaction_min_ratings: int
    programme_start: date

    @classmethod
    def from_settings(cls, settings: Settings) -> Method:
        return cls(
            k=settings.suppression_k,
            max_noise=min(settings.stats_noise_max, settings.suppression_k - 1),
            decay=settings.stats_noise_decay,
            satisfaction_min_ratings=max(settings.stats_satisfaction_min_ratings, settings.suppression_k),
            programme_start=settings.stats_programme_start,
        )

    def as_dict(self) -> dict:
        return {
            "method": "cell key perturbation with threshold",
            "k": self.k,
            "max_noise": self.max_noise,
            "noise_decay": self.decay,
            "satisfaction_min_ratings": self.satisfaction_min_ratings,
            "programme_start": self.programme_start.isoformat(),
        }


@dataclass
class Sums:
    """A cell's true counts and the record-key sums of their contributors."""

    values: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS + KEY_SUMS, 0))

    def add(self, other: Mapping[str, int]) -> None:
        for name in self.values:
            self.values[name] += int(other.get(name) or 0)

    def __getitem__(self, name: str) -> int:
        return self.values[name]


# --- pure: protecting a cell and a series -------------------------------------------------------------


def published_cell(sums: Sums, method: Method) -> dict[str, int | float | None]:
    """learners, completed, flagged and satisfaction as they may be published (None: withheld).

    learners and completed are protected together: if learners is withheld, so is everything else in the row.
    """
    k, max_noise = method.k, method.max_noise
    learners = protect(
        sums["learners"], sums["learners_key"] % MODULUS, "learners", k=k, max_noise=max_noise, decay=method.decay
    )
    if learners is None:
        return {"learners": None, "completed": None, "flagged": None, "satisfaction": None}
    part = partial(protect, k=k, max_noise=max_noise, decay=method.decay)
    completed = part(sums["completed"], sums["completed_key"] % MODULUS, "completed")
    flagged = part(sums["flagged"], sums["flagged_key"] % MODULUS, "flagged")
    if completed is not None:
        completed = min(completed, learners)
    if flagged is not None and completed is not None:
        flagged = min(flagged, completed)
    return {
        "learners": learners,
        "completed": completed,
        "flagged": flagged,
        "satisfaction": satisfaction(sums, method),
    }


def satisfaction(sums: Sums, method: Method) -> float | None:
    """Mean stars to one decimal, from perturbed sums, only with enough ratings."""
    key = sums["ratings_key"] % MODULUS
    ratings = protect(
        sums["ratings"],
        key,
        "ratings",
        k=method.satisfaction_min_ratings,
        max_noise=method.max_noise,
        decay=method.decay,
    )
    if not ratings:
        return None
    stars = sums["stars"] + 3 * noise(key, "stars", method.max_noise, method.decay)
    return round(min(5.0, max(1.0, stars / ratings)), 1)


@dataclass(frozen=True)
class SeriesPoint:
    day: date
    completed: int | None  # new completions that day
    running_total: int | None


def protect_series(
    daily: Mapping[date, tuple[int, int]], *, start: date, end: date, method: Method
) -> list[SeriesPoint]:
    """Running totals perturbed by their own cell keys, kept non-decreasing; days are their differences.

    `daily` maps a day to (completions, record-key sum). The running total of a day is a cell like any
    other (the people who completed up to that day), so it gets its own consistent noise; a day's
    figure is the difference of two published running totals and is withheld when either is.
    """
    points: list[SeriesPoint] = []
    count, key = 0, 0
    previous: int | None = None  # the running total published the day before (None: withheld)
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        completed, key_sum = daily.get(day, (0, 0))
        count, key = count + completed, key + key_sum
        total = protect(
            count, key % MODULUS, "running_total", k=method.k, max_noise=method.max_noise, decay=method.decay
        )
        if previous is not None:  # published before: the total never goes back, nor to "fewer than k"
            total = previous if total is None else max(total, previous)
        new = total - previous if total is not None and previous is not None else None
        points.append(SeriesPoint(day, new, total))
        previous = total
    return points


# --- reading the counters -------------------------------------------------------------------------------


def _commune_sums(session: Session) -> dict[str, dict[str, Sums]]:
    """course -> commune -> summed counters (shards added up)."""
    r = CompletionRollup
    names = COUNTS + KEY_SUMS
    query = core_select(col(r.course_slug), col(r.commune), *(func.sum(getattr(r, n)) for n in names)).group_by(
        r.course_slug, r.commune
    )
    out: dict[str, dict[str, Sums]] = defaultdict(dict)
    for course, commune, *values in session.execute(query):
        if commune in COMMUNES:
            sums = Sums()
            sums.add(dict(zip(names, values, strict=True)))
            out[course][commune] = sums
    return out


def _daily_by_area(session: Session, *, start: date) -> dict[tuple[str, str], dict[date, tuple[int, int]]]:
    """(course, area) -> day -> (completions, key sum); days before the programme count on its first day."""
    d = CompletionDaily
    query = core_select(
        col(d.course_slug), col(d.commune), col(d.day), func.sum(d.completed), func.sum(d.completed_key)
    ).group_by(col(d.course_slug), col(d.commune), col(d.day))
    out: dict[tuple[str, str], dict[date, tuple[int, int]]] = defaultdict(dict)
    for course, commune, day, completed, key_sum in session.execute(query):
        unit = COMMUNES.get(commune)
        if unit is None or not completed:
            continue
        day = max(day, start)
        for area in (NATIONAL, unit.province):
            old = out[course, area].get(day, (0, 0))
            out[course, area][day] = (old[0] + int(completed), old[1] + int(key_sum or 0))
    return out


# --- building and storing a release -----------------------------------------------------------------


def _cells(course: str, communes: Mapping[str, Sums], method: Method) -> Iterator[dict]:
    provinces = {code: Sums() for code in PROVINCES}
    national = Sums()
    for commune, sums in communes.items():
        provinces[COMMUNES[commune].province].add(sums.values)
        national.add(sums.values)
        yield {
            "course_slug": course,
            "code": commune,
            "parent": COMMUNES[commune].province,
            **published_cell(sums, method),
        }
    for code, sums in provinces.items():
        yield {"course_slug": course, "code": code, "parent": NATIONAL, **published_cell(sums, method)}
    yield {"course_slug": course, "code": NATIONAL, "parent": "", **published_cell(national, method)}


def build(session: Session, *, method: Method, as_of: datetime) -> tuple[list[dict], list[dict]]:
    """(cells, days) of a release, from the counters as they are now. Communes without anyone are not
    stored (a read fills them in as zeros)."""
    end = max(local_day(as_of), method.programme_start)
    cells: list[dict] = []
    for course, communes in _commune_sums(session).items():
        cells.extend(_cells(course, communes, method))
    days: list[dict] = []
    tails: dict[tuple[str, str], int | None] = {}  # (course, area) -> its last running total as published
    for (course, area), daily in _daily_by_area(session, start=method.programme_start).items():
        points = protect_series(daily, start=method.programme_start, end=end, method=method)
        tails[course, area] = points[-1].running_total
        days.extend(
            {
                "course_slug": course,
                "area": area,
                "day": p.day,
                "completed": p.completed,
                "running_total": p.running_total,
            }
            for p in points
        )
    for cell in cells:  # the table total of the nation and of each province is its series' last total
        if (cell["course_slug"], cell["code"]) in tails and cell["learners"] is not None:
            cell["completed"] = tails[cell["course_slug"], cell["code"]]
    return cells, days


def publish(session: Session, *, settings: Settings, slot: str, as_of: datetime, keep: int) -> StatsRelease | None:
    """Compute and store the release for `slot` unless it exists already (several workers may try at
    once: the unique slot lets one win); the caller commits. Older releases beyond `keep` are deleted."""
    method = Method.from_settings(settings)
    inserted = cast(  # an INSERT's result is a CursorResult; SQLAlchemy types Session.execute's as Result
        "CursorResult[Any]",
        session.execute(
            insert_for(session, table_of(StatsRelease))
            .values(slot=slot, as_of=as_of, method=method.as_dict())
            .on_conflict_do_nothing(index_elements=["slot"])
        ),
    )
    if inserted.rowcount == 0:
        return None
    release = session.exec(select(StatsRelease).where(StatsRelease.slot == slot)).one()
    cells, days = build(session, method=method, as_of=as_of)
    if cells:
        session.execute(insert(ReleaseCell), [{"release_id": release.id, **c} for c in cells])
    if days:
        session.execute(insert(ReleaseDay), [{"release_id": release.id, **d} for d in days])
    _prune(session, keep=keep)
    session.flush()
    return release


def _prune(session: Session, *, keep: int) -> None:
    old = session.exec(select(StatsRelease.id).order_by(col(StatsRelease.id).desc()).offset(keep)).all()
    if old:
        for table in (ReleaseDay, ReleaseCell):
            session.execute(delete(table).where(col(table.release_id).in_(old)))
        session.execute(delete(StatsRelease).where(col(StatsRelease.id).in_(old)))
