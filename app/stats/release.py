"""Releases: every statistics table computed at once from the live counters, protected, and stored.

Statistics are published only from releases, never from the live counters. Each release is one step of
the continual-release streams (app/stats/continual.py): the change of every counter since the previous
release is measured once, noised once (app/stats/privacy.py) and frozen; the tables are the streams'
noisy totals after post-processing (nothing negative, completed ≤ learners, small figures withheld), and
the series are the previous release's days, copied unchanged, plus this release's day. Every statistics
call then reads a bounded number of stored rows of one release.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, insert, literal, text
from sqlalchemy import select as core_select  # typed for any number of columns (sqlmodel's select: up to 4)
from sqlmodel import Session, col, select

from app.catalogue import service as catalogue_service
from app.clock import local_day
from app.config import Settings
from app.db import insert_for, is_postgresql, table_of
from app.localities.official import COMMUNES, PROVINCES
from app.stats import continual, privacy
from app.stats.continual import Stream
from app.stats.models import ALL_COURSES, COUNTS, CompletionRollup, ReleaseCell, ReleaseDay, StatsRelease, StatsStream
from app.stats.privacy import COMMUNE, NATIONAL_LEVEL, PROVINCE, Budget, Family

NATIONAL = "national"
EDITION = 2
Truths = dict[str, dict[str, dict[str, int]]]  # course -> commune -> measure -> true count


class HorizonReached(RuntimeError):
    """Every release the privacy accounting covers has been published (docs/statistics-disclosure.md)."""


# --- reading the counters -------------------------------------------------------------------------------


def _commune_truths(session: Session) -> Truths:
    """course -> commune -> summed counters (shards added up), official communes only."""
    r = CompletionRollup
    query = core_select(col(r.course_slug), col(r.commune), *(func.sum(getattr(r, n)) for n in COUNTS)).group_by(
        r.course_slug, r.commune
    )
    out: Truths = defaultdict(dict)
    for course, commune, *values in session.execute(query):
        if commune in COMMUNES:
            out[course][commune] = {name: int(value or 0) for name, value in zip(COUNTS, values, strict=True)}
    return out


def family_truths(family: Family, truths: Truths) -> dict[str, int]:
    """The true count of every locality of the family's level (zeros included: every locality is a stream)."""
    communes = truths.get(family.course, {})
    if family.level == COMMUNE:
        return {code: communes.get(code, {}).get(family.measure, 0) for code in COMMUNES}
    by_province = dict.fromkeys(PROVINCES, 0)
    for code, measures in communes.items():
        by_province[COMMUNES[code].province] += measures.get(family.measure, 0)
    if family.level == PROVINCE:
        return by_province
    return {NATIONAL: sum(by_province.values())}


# --- the streams ----------------------------------------------------------------------------------------


@dataclass
class Step:
    """One release's step: its number and every family's noisy totals, with the budget that made them."""

    number: int
    budget: Budget
    families: list[Family]
    totals: dict[str, dict[str, int]]  # family key -> code -> noisy total

    def total(self, level: str, course: str, measure: str, code: str) -> int:
        return self.totals[Family(level, course, measure).key].get(code, 0)

    def margin(self, level: str, course: str, measure: str) -> int:
        return self.budget.margin(Family(level, course, measure), continual.nodes_in_total(self.number))


def course_keys(session: Session, truths: Truths, stored: Iterable[str]) -> list[str]:
    """Every course the release covers: the catalogue's, any with counters or streams, and all courses ('*')."""
    courses = set(catalogue_service.course_slugs(session)) | set(truths) | {ALL_COURSES}
    courses |= {key.split("/")[1] for key in stored}
    return sorted(courses)


def advance_streams(session: Session, *, budget: Budget, truths: Truths) -> Step:
    """Feed this release's step to every family's streams (state stored back in the caller's transaction).

    Releases of different slots may start at once (the schedule on two workers and an operator's): they take
    turns here, so each reads the streams the other left and feeds the next step, never the same one twice.
    """
    if is_postgresql(session):
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext('stats_release'))"))
    # On SQLite the release's own INSERT already holds the database's single write lock.
    rows = {row.family: row for row in session.exec(select(StatsStream)).all()}
    number = max((row.step for row in rows.values()), default=0) + 1
    if number > budget.horizon:
        raise HorizonReached(
            f"release {number} is past STATS_HORIZON_RELEASES={budget.horizon}: the stated privacy budget is spent"
        )
    families = privacy.families_for(course_keys(session, truths, rows))
    totals: dict[str, dict[str, int]] = {}
    for family in families:
        row = rows.get(family.key)
        streams = {code: Stream.from_list(v, budget.levels) for code, v in (row.state if row else {}).items()}
        totals[family.key] = continual.advance(
            streams,
            family_truths(family, truths),
            step=number,
            levels=budget.levels,
            draw=privacy.draw(budget.sigma(family)),
        )
        state = {code: stream.as_list() for code, stream in streams.items()}
        if row is None:
            session.add(StatsStream(family=family.key, step=number, state=state))
        else:
            row.step, row.state = number, state
            session.add(row)
    return Step(number, budget, families, totals)


# --- post-processing into published rows (pure) ---------------------------------------------------------


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))


def published_row(step: Step, *, level: str, course: str, code: str) -> dict[str, Any]:
    """One locality's published figures: noisy totals made consistent (0 ≤ flagged ≤ completed ≤ learners),
    withheld below k or below their own margin (such a figure cannot be told from nobody); satisfaction
    only from enough ratings. None = withheld."""

    def figure(measure: str) -> int:
        return step.total(level, course, measure, code)

    learners, learners_margin = figure("learners"), step.margin(level, course, "learners")
    if learners < max(step.budget.k, learners_margin):
        return {"learners": None, "completed": None, "flagged": None, "satisfaction": None}
    completed = _clamp(figure("completed"), 0, learners)
    out: dict[str, Any] = {
        "learners": learners,
        "learners_margin": learners_margin,
        "completed": completed,
        "completed_margin": step.margin(level, course, "completed"),
        "flagged": None,
        "satisfaction": None,
    }
    if level == COMMUNE:  # communes: learners and completed only (app/stats/privacy.py)
        return out
    out["flagged"] = _clamp(figure("flagged"), 0, completed)
    out["flagged_margin"] = step.margin(level, course, "flagged")
    ratings = figure("ratings")
    if ratings >= step.budget.satisfaction_min_ratings:
        stars = figure("stars")
        mean = min(5.0, max(1.0, stars / ratings))
        stars_margin, ratings_margin = step.margin(level, course, "stars"), step.margin(level, course, "ratings")
        # the delta method: var(S/R) ≈ (var S + (S/R)² var R) / R², margins standing in for deviations
        spread = (stars_margin**2 + (mean * ratings_margin) ** 2) ** 0.5 / ratings
        out.update(ratings=ratings, satisfaction=round(mean, 1), satisfaction_margin=round(spread, 2))
    return out


def cells_of(step: Step) -> list[dict[str, Any]]:
    """Every stored cell of the release: communes (all courses) that are not withheld, every province and the
    nation for every course key (withheld ones too: their row says so)."""
    cells: list[dict[str, Any]] = []
    for code, unit in COMMUNES.items():
        row = published_row(step, level=COMMUNE, course=ALL_COURSES, code=code)
        if row["learners"] is not None:
            cells.append({"course_slug": ALL_COURSES, "code": code, "parent": unit.province, **row})
    for course in sorted({f.course for f in step.families}):
        for code in PROVINCES:
            cells.append(
                {
                    "course_slug": course,
                    "code": code,
                    "parent": NATIONAL,
                    **published_row(step, level=PROVINCE, course=course, code=code),
                }
            )
        cells.append(
            {
                "course_slug": course,
                "code": NATIONAL,
                "parent": "",
                **published_row(step, level=NATIONAL_LEVEL, course=course, code=NATIONAL),
            }
        )
    return cells


def node_set(step: int) -> set[tuple[int, int]]:
    """The noised partial sums a total at `step` adds up, as (level, index) pairs."""
    return {(j, step >> j) for j in range(step.bit_length()) if step >> j & 1}


def series_points(
    step: Step, *, day: date, previous: Mapping[tuple[str, str], tuple[int | None, int]]
) -> list[dict[str, Any]]:
    """This release's day of every series (nation and provinces, every course key): the published running
    total of completions and the change since the last published day (`previous`: (course, area) ->
    (running total, its step)). A running total below k or its margin is withheld, and so is a change from
    or to one."""
    points = []
    for course in sorted({f.course for f in step.families}):
        for level, codes in ((NATIONAL_LEVEL, [NATIONAL]), (PROVINCE, list(PROVINCES))):
            family = Family(level, course, "completed")
            sigma = step.budget.sigma(family)
            total_margin = step.margin(level, course, "completed")
            for code in codes:
                total: int | None = step.total(level, course, "completed", code)
                if total is not None and total < max(step.budget.k, total_margin):
                    total = None
                before, before_step = previous.get((course, code), (0, 0))
                change = total - before if total is not None and before is not None else None
                moved = len(node_set(step.number) ^ node_set(before_step))
                points.append(
                    {
                        "course_slug": course,
                        "area": code,
                        "day": day,
                        "step": step.number,
                        "completed": change,
                        "completed_margin": continual.margin(sigma, moved) if change is not None else None,
                        "running_total": total,
                        "running_total_margin": total_margin if total is not None else None,
                    }
                )
    return points


# --- storing a release ----------------------------------------------------------------------------------


def _latest_edition2(session: Session, *, before: int) -> StatsRelease | None:
    found = session.exec(
        select(StatsRelease).where(col(StatsRelease.id) < before).order_by(col(StatsRelease.id).desc()).limit(1)
    ).first()
    return found if found is not None and found.method.get("edition") == EDITION else None


def _last_points(
    session: Session, release_id: int, *, before_day: date
) -> dict[tuple[str, str], tuple[int | None, int]]:
    """(course, area) -> (running total, step) of the last day before `before_day` in a release's series."""
    d = table_of(ReleaseDay).c
    last = (
        core_select(d.course_slug, d.area, func.max(d.day).label("day"))
        .where(d.release_id == release_id, d.day < before_day)
        .group_by(d.course_slug, d.area)
        .subquery()
    )
    query = (
        core_select(d.course_slug, d.area, d.running_total, d.step)
        .join(last, (d.course_slug == last.c.course_slug) & (d.area == last.c.area) & (d.day == last.c.day))
        .where(d.release_id == release_id)
    )
    return {(course, area): (total, step or 0) for course, area, total, step in session.execute(query)}


def _copy_days(session: Session, *, source: int, target: int, before_day: date) -> None:
    """The earlier release's series days before `before_day`, copied unchanged: published days are frozen."""
    d = table_of(ReleaseDay)
    columns = [c.name for c in d.columns if c.name != "release_id"]
    rows = core_select(literal(target).label("release_id"), *(d.c[name] for name in columns)).where(
        d.c.release_id == source, d.c.day < before_day
    )
    session.execute(insert(d).from_select(["release_id", *columns], rows))


def publish(session: Session, *, settings: Settings, slot: str, as_of: datetime, keep: int) -> StatsRelease | None:
    """Compute and store the release for `slot` unless it exists already (several workers may try at
    once: the unique slot lets one win); the caller commits. Older releases beyond `keep` are deleted."""
    budget = Budget.from_settings(settings)
    # The new row's id by RETURNING, not the rowcount: SQLAlchemy reads a one-row INSERT's id itself and closes
    # the cursor, so on PostgreSQL the rowcount is -1 whether or not the slot was taken.
    release_id = session.execute(
        insert_for(session, table_of(StatsRelease))
        .values(slot=slot, as_of=as_of, method={"edition": EDITION})
        .on_conflict_do_nothing(index_elements=["slot"])
        .returning(table_of(StatsRelease).c.id)
    ).scalar_one_or_none()
    if release_id is None:  # another release's slot (committed, or committed while this one waited for it)
        return None
    release = session.exec(select(StatsRelease).where(StatsRelease.id == release_id)).one()
    assert release.id is not None
    truths = _commune_truths(session)
    step = advance_streams(session, budget=budget, truths=truths)
    day = local_day(as_of)
    earlier = _latest_edition2(session, before=release.id)
    first_day = earlier.method.get("series_start", day.isoformat()) if earlier else day.isoformat()
    release.method = {**budget.as_dict(step.families), "step": step.number, "series_start": first_day}
    session.add(release)
    cells = cells_of(step)
    session.execute(insert(ReleaseCell), [{"release_id": release.id, **c} for c in cells])
    previous: dict[tuple[str, str], tuple[int | None, int]] = {}
    if earlier is not None:
        assert earlier.id is not None
        previous = _last_points(session, earlier.id, before_day=day)
        _copy_days(session, source=earlier.id, target=release.id, before_day=day)
    points = series_points(step, day=day, previous=previous)
    session.execute(insert(ReleaseDay), [{"release_id": release.id, **p} for p in points])
    _prune(session, keep=keep)
    session.flush()
    return release


def _prune(session: Session, *, keep: int) -> None:
    old = session.exec(select(StatsRelease.id).order_by(col(StatsRelease.id).desc()).offset(keep)).all()
    if old:
        for table in (ReleaseDay, ReleaseCell):
            session.execute(delete(table).where(col(table.release_id).in_(old)))
        session.execute(delete(StatsRelease).where(col(StatsRelease.id).in_(old)))
