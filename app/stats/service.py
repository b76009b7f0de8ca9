"""Statistics reads (from one kept release, the latest by default), targets, and releasing.

Every read touches a bounded number of stored rows of one release: at most the communes of one province
plus its own row and the nation's, or at most the days of one requested window.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from pydantic_core import to_json
from sqlalchemy import select as core_select  # typed for any number of columns
from sqlmodel import Session, col, select

from app.clock import VIETNAM, local_day
from app.config import Settings
from app.db import insert_for, table_of, utcnow
from app.errors import AppError, Conflict, NotFound, Unprocessable
from app.localities.official import COMMUNES_BY_PROVINCE, PROVINCES
from app.stats import release as releasing
from app.stats.models import ALL_COURSES, LocalityTarget, ReleaseCell, ReleaseDay, StatsRelease
from app.stats.schemas import CompletionOut, CompletionRow, ReleaseOut, ReleasesOut, TimeseriesOut

NATIONAL = releasing.NATIONAL
MAX_SERIES_DAYS = 3660


class NoRelease(AppError):
    status, code = 503, "no_release"


def latest_release(session: Session) -> StatsRelease:
    found = session.exec(select(StatsRelease).order_by(col(StatsRelease.id).desc()).limit(1)).first()
    if found is None:
        raise NoRelease("no statistics have been released yet; an operator runs `python -m app stats release`")
    return found


def release_of(session: Session, release: int | None) -> StatsRelease:
    """The release asked for (a kept one), or the latest."""
    if release is None:
        return latest_release(session)
    found = session.get(StatsRelease, release)
    if found is None:
        kept = session.exec(select(StatsRelease.id).order_by(col(StatsRelease.id).desc())).all()
        raise NotFound(
            f"release {release} is not kept; kept releases: {', '.join(map(str, kept)) or 'none'}",
            code="release_not_found",
        )
    return found


def release_out(found: StatsRelease) -> ReleaseOut:
    assert found.id is not None
    as_of = found.as_of.astimezone(VIETNAM).replace(microsecond=0)
    return ReleaseOut(id=found.id, as_of=as_of, edition=found.method.get("edition", 1), method=found.method)


def releases(session: Session) -> ReleasesOut:
    found = session.exec(select(StatsRelease).order_by(col(StatsRelease.id).desc())).all()
    return ReleasesOut(releases=[release_out(r) for r in found])


@dataclass(frozen=True)
class Targets:
    """Adults per locality: given figures, provinces defaulting to the sum of their given communes."""

    adults: dict[str, int]
    communes_given: dict[str, int]  # province -> how many of its communes have a figure


def load_targets(session: Session) -> Targets:
    given = {row.code: row.adults for row in session.exec(select(LocalityTarget)).all()}
    targets = dict(given)
    counted: dict[str, int] = {}
    for province, communes in COMMUNES_BY_PROVINCE.items():
        known = [given[c.code] for c in communes if c.code in given]
        counted[province] = len(known)
        if province not in given and known:
            targets[province] = sum(known)
    if all(code in targets for code in PROVINCES):
        targets[NATIONAL] = sum(targets[code] for code in PROVINCES)
    return Targets(targets, counted)


def significant(value: float | None, digits: int = 4) -> float | None:
    """A rate to `digits` significant digits (20 of 7,000,000 is 2.857e-06, not 0.0)."""
    return None if value is None else float(f"{value:.{digits}g}")


def _rate(numerator: int | None, denominator: int | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return significant(min(numerator / denominator, 1.0))


def level_of(code: str) -> Literal["commune", "province", "national"]:
    return "national" if code == NATIONAL else "province" if len(code) == 2 else "commune"


def row(code: str, name: str, cell: ReleaseCell | None, targets: Targets) -> CompletionRow:
    """A published row; rates come from the published (protected) counts, never from the true ones, and
    their margins from the counts' margins (the delta method). A locality without a stored cell is withheld."""
    learners = cell.learners if cell else None
    completed = cell.completed if cell else None
    completed_margin = cell.completed_margin if cell else None
    learners_margin = cell.learners_margin if cell else None
    target = targets.adults.get(code)
    rate = _rate(completed, learners)
    rate_margin = None
    if rate is not None and learners and completed_margin is not None and learners_margin is not None:
        rate_margin = significant((completed_margin**2 + (rate * learners_margin) ** 2) ** 0.5 / learners)
    province = level_of(code) == "province"
    return CompletionRow(
        level=level_of(code),
        code=code,
        name=name,
        learners=learners,
        learners_margin=learners_margin if learners is not None else None,
        completed=completed,
        completed_margin=completed_margin if completed is not None else None,
        completion_rate=rate,
        completion_rate_margin=rate_margin,
        target=target,
        target_communes=targets.communes_given.get(code) if province else None,
        communes=len(COMMUNES_BY_PROVINCE[code]) if province else None,
        coverage_rate=_rate(completed, target),
        coverage_rate_margin=significant(completed_margin / target)
        if completed is not None and completed_margin is not None and target
        else None,
        flagged=cell.flagged if cell else None,
        flagged_margin=cell.flagged_margin if cell and cell.flagged is not None else None,
        ratings=cell.ratings if cell and cell.satisfaction is not None else None,
        satisfaction=cell.satisfaction if cell else None,
        satisfaction_margin=cell.satisfaction_margin if cell and cell.satisfaction is not None else None,
    )


def completion(
    session: Session, *, course_slug: str, course: str | None, province: str | None, release: int | None = None
) -> CompletionOut:
    """Per province (province None) or per commune of `province`, with the nation's row, from one release."""
    found = release_of(session, release)
    if province and course_slug != ALL_COURSES and found.method.get("edition", 1) >= 2:
        raise Unprocessable(
            "commune figures are published for all courses together only (docs/statistics.md); "
            "leave out course=, or ask for the province table of the course",
            code="commune_by_course_not_published",
        )
    parent = province or NATIONAL
    codes = [parent, NATIONAL] if province else [NATIONAL]
    cells = {
        c.code: c
        for c in session.exec(
            select(ReleaseCell).where(
                ReleaseCell.release_id == found.id,
                ReleaseCell.course_slug == course_slug,
                (col(ReleaseCell.parent) == parent) | col(ReleaseCell.code).in_(codes),
            )
        )
    }
    targets = load_targets(session)
    units = COMMUNES_BY_PROVINCE[province] if province else list(PROVINCES.values())
    own = row(province, PROVINCES[province].name, cells.get(province), targets) if province else None
    return CompletionOut(
        release=release_out(found),
        course=course,
        level="commune" if province else "province",
        province=own,
        suppression_k=found.method["k"],
        rows=[row(u.code, u.name, cells.get(u.code), targets) for u in units],
        total=row(NATIONAL, "Toàn quốc", cells.get(NATIONAL), targets),
    )


def series_window(found: StatsRelease, start: date | None, end: date | None) -> tuple[date, date]:
    """The requested days, checked against the series' first day and the release's last day."""
    first = date.fromisoformat(found.method.get("series_start") or found.method["programme_start"])
    last = max(local_day(found.as_of), first)
    start, end = start or first, end or last
    if start > end:
        raise Unprocessable(f"from ({start}) is after to ({end})", code="invalid_range")
    if start < first:
        raise Unprocessable(f"from ({start}) is before the series begins ({first})", code="before_programme")
    if end > last:
        raise Unprocessable(
            f"to ({end}) is after the release's last day ({last}); figures change only at releases",
            code="after_release",
        )
    if (end - start).days >= MAX_SERIES_DAYS:
        raise Unprocessable(f"at most {MAX_SERIES_DAYS} days per request", code="range_too_long")
    return start, end


SeriesDay = tuple[date, int | None, int | None, int | None, int | None]  # day, completed, margin, total, margin


@dataclass(frozen=True)
class Series:
    """A published series, kept as plain tuples: a year of days costs microseconds to encode, not models."""

    head: TimeseriesOut  # everything but the rows (rows=[])
    days: list[SeriesDay]  # None = withheld, or no release that day

    def json(self) -> bytes:
        """The TimeseriesOut JSON, rows encoded straight from the tuples."""
        out = self.head.model_dump(mode="json")
        out["rows"] = [
            {"day": d, "completed": c, "completed_margin": cm, "running_total": r, "running_total_margin": rm}
            for d, c, cm, r, rm in self.days
        ]
        return to_json(out)


def timeseries(
    session: Session,
    *,
    course_slug: str,
    course: str | None,
    province: str | None,
    start: date | None,
    end: date | None,
    release: int | None = None,
) -> Series:
    """Completions per day and the running total, nationally or for one province, from one release."""
    found = release_of(session, release)
    start, end = series_window(found, start, end)
    area = province or NATIONAL
    d = table_of(ReleaseDay).c
    query = core_select(d.day, d.completed, d.completed_margin, d.running_total, d.running_total_margin).where(
        d.release_id == found.id, d.course_slug == course_slug, d.area == area, d.day >= start, d.day <= end
    )
    stored = {day: rest for day, *rest in session.execute(query)}
    days: list[SeriesDay] = []
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        days.append((day, *stored.get(day, (None, None, None, None))))
    head = TimeseriesOut(
        release=release_out(found),
        course=course,
        level="province" if province else "national",
        code=area,
        province=province,
        name=PROVINCES[province].name if province else "Toàn quốc",
        suppression_k=found.method["k"],
        rows=[],
    )
    return Series(head, days)


def save_targets(session: Session, *, targets: Mapping[str, int]) -> None:
    """Upsert adults per locality (codes already validated), in the caller's transaction."""
    now = utcnow()
    table = table_of(LocalityTarget)
    for code, adults in sorted(targets.items()):
        stmt = insert_for(session, table).values(code=code, adults=adults, updated_at=now)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["code"], set_={"adults": stmt.excluded.adults, "updated_at": stmt.excluded.updated_at}
            )
        )


def scheduled_slot(moment: datetime, settings: Settings) -> datetime:
    """The latest scheduled release time at or before `moment` (daily, at STATS_RELEASE_TIME Vietnam time)."""
    local = moment.astimezone(VIETNAM)
    slot = datetime.combine(local.date(), settings.stats_release_time, tzinfo=VIETNAM)
    return slot if slot <= local else slot - timedelta(days=1)


def release_now(session: Session, *, settings: Settings, slot: str | None = None) -> StatsRelease | None:
    """Publish a release of the counters as they are now (None if `slot` was already released)."""
    now = utcnow()
    try:
        return releasing.publish(
            session,
            settings=settings,
            slot=slot or f"manual-{now.isoformat()}",
            as_of=now,
            keep=settings.stats_releases_kept,
        )
    except releasing.HorizonReached as exc:
        raise Conflict(str(exc), code="privacy_budget_spent") from exc
