"""Statistics reads (from the latest release only), targets, and releasing.

Every read touches a bounded number of stored rows of one release: at most the communes of one province
plus its own row and the nation's, or at most the days of one requested window.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pydantic_core import to_json
from sqlmodel import Session, col, select

from app.clock import VIETNAM, local_day
from app.config import Settings
from app.db import insert_for, table_of, utcnow
from app.errors import AppError, Unprocessable
from app.localities.official import COMMUNES_BY_PROVINCE, PROVINCES
from app.stats import release as releasing
from app.stats.models import LocalityTarget, ReleaseCell, ReleaseDay, StatsRelease
from app.stats.schemas import CompletionOut, CompletionRow, ReleaseOut, TimeseriesOut

NATIONAL = releasing.NATIONAL
MAX_SERIES_DAYS = 3660


class NoRelease(AppError):
    status, code = 503, "no_release"


def latest_release(session: Session) -> StatsRelease:
    found = session.exec(select(StatsRelease).order_by(col(StatsRelease.id).desc()).limit(1)).first()
    if found is None:
        raise NoRelease("no statistics have been released yet; an operator runs `python -m app stats release`")
    return found


def release_out(found: StatsRelease) -> ReleaseOut:
    return ReleaseOut(id=found.id, as_of=found.as_of, method=found.method)


def load_targets(session: Session) -> dict[str, int]:
    """Adults per locality: given figures, provinces defaulting to the sum of their given communes."""
    given = {row.code: row.adults for row in session.exec(select(LocalityTarget)).all()}
    targets = dict(given)
    for province, communes in COMMUNES_BY_PROVINCE.items():
        if province not in given:
            known = [given[c.code] for c in communes if c.code in given]
            if known:
                targets[province] = sum(known)
    if all(code in targets for code in PROVINCES):
        targets[NATIONAL] = sum(targets[code] for code in PROVINCES)
    return targets


def _rate(numerator: int | None, denominator: int | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(min(numerator / denominator, 1.0), 3)


def row(code: str, name: str, cell: ReleaseCell | None, target: int | None) -> CompletionRow:
    """A published row; rates come from the published (protected) counts, never from the true ones.
    A locality nobody has counters for is withheld like any other below k."""
    learners = cell.learners if cell else None
    completed = cell.completed if cell else None
    return CompletionRow(
        code=code,
        name=name,
        learners=learners,
        completed=completed,
        flagged=cell.flagged if cell else None,
        completion_rate=_rate(completed, learners),
        target=target,
        coverage_rate=_rate(completed, target),
        satisfaction=cell.satisfaction if cell else None,
    )


def completion(session: Session, *, course_slug: str, course: str | None, province: str | None) -> CompletionOut:
    """Per province (province None) or per commune of `province`, with the nation's row, from the latest release."""
    found = latest_release(session)
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
    own = row(province, PROVINCES[province].name, cells.get(province), targets.get(province)) if province else None
    return CompletionOut(
        release=release_out(found),
        course=course,
        level="commune" if province else "province",
        province=own,
        suppression_k=found.method["k"],
        rows=[row(u.code, u.name, cells.get(u.code), targets.get(u.code)) for u in units],
        total=row(NATIONAL, "Toàn quốc", cells.get(NATIONAL), targets.get(NATIONAL)),
    )


def series_window(found: StatsRelease, start: date | None, end: date | None) -> tuple[date, date]:
    """The requested days, checked against the programme's start and the release's last day."""
    first = date.fromisoformat(found.method["programme_start"])
    last = max(local_day(found.as_of), first)
    start, end = start or first, end or last
    if start < first:
        raise Unprocessable(f"from ({start}) is before the programme began ({first})", code="before_programme")
    if end > last:
        raise Unprocessable(
            f"to ({end}) is after the latest release's last day ({last}); figures change only at releases",
            code="after_release",
        )
    if start > end:
        raise Unprocessable(f"from ({start}) is after to ({end})", code="invalid_range")
    if (end - start).days >= MAX_SERIES_DAYS:
        raise Unprocessable(f"at most {MAX_SERIES_DAYS} days per request", code="range_too_long")
    return start, end


@dataclass(frozen=True)
class Series:
    """A published series, kept as plain tuples: a year of days costs microseconds to encode, not models."""

    head: TimeseriesOut  # everything but the rows (rows=[])
    days: list[tuple[date, int | None, int | None]]  # (day, completed, running_total); None = withheld

    def json(self) -> bytes:
        """The TimeseriesOut JSON, rows encoded straight from the tuples."""
        out = self.head.model_dump(mode="json")
        out["rows"] = [{"day": d, "completed": c, "running_total": r} for d, c, r in self.days]
        return to_json(out)


def timeseries(
    session: Session,
    *,
    course_slug: str,
    course: str | None,
    province: str | None,
    start: date | None,
    end: date | None,
) -> Series:
    """New completions per day and the running total, nationally or for one province, from the latest release."""
    found = latest_release(session)
    start, end = series_window(found, start, end)
    area = province or NATIONAL
    query = select(col(ReleaseDay.day), col(ReleaseDay.completed), col(ReleaseDay.running_total)).where(
        ReleaseDay.release_id == found.id,
        ReleaseDay.course_slug == course_slug,
        ReleaseDay.area == area,
        ReleaseDay.day >= start,
        ReleaseDay.day <= end,
    )
    stored = {day: (completed, running) for day, completed, running in session.execute(query)}
    days = []
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        # an area nobody completed in has no stored days: withheld like any small count
        days.append((day, *stored.get(day, (None, None))))
    head = TimeseriesOut(
        release=release_out(found),
        course=course,
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
    return releasing.publish(
        session,
        settings=settings,
        slot=slot or f"manual-{now.isoformat()}",
        as_of=now,
        keep=settings.stats_releases_kept,
    )
