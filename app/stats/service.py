"""Statistics reads (shards summed, suppression applied), targets and ratings.

Reads only touch the rollup tables (at most one row per commune and shard), never raw progress.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from app.db import insert_for, utcnow
from app.localities.official import COMMUNES, COMMUNES_BY_PROVINCE, PROVINCES
from app.stats import suppression
from app.stats.models import CompletionDaily, CompletionRollup, LocalityTarget

MEASURES = ("learners", "completed")  # the published counts, each suppressed on its own
NATIONAL = "national"


@dataclass
class Counts:
    learners: int = 0
    completed: int = 0
    ratings: int = 0
    stars: int = 0

    def add(self, other: Counts) -> None:
        self.learners += other.learners
        self.completed += other.completed
        self.ratings += other.ratings
        self.stars += other.stars


@dataclass
class Cell:
    code: str
    name: str
    counts: Counts
    target: int | None
    withheld: set[str] = field(default_factory=set)  # measures withheld


def commune_counts(session: Session, *, course_slug: str) -> dict[str, Counts]:
    """Per commune, the rollup counters summed over their shards."""
    table = CompletionRollup
    rows = session.exec(
        select(
            table.commune,
            func.sum(table.learners),
            func.sum(table.completed),
            func.sum(table.ratings),
            func.sum(table.stars),
        )
        .where(table.course_slug == course_slug)
        .group_by(table.commune)
    ).all()
    return {
        commune: Counts(int(a or 0), int(b or 0), int(c or 0), int(d or 0))
        for commune, a, b, c, d in rows
        if commune in COMMUNES
    }


def province_counts(communes: Mapping[str, Counts]) -> dict[str, Counts]:
    provinces = {code: Counts() for code in PROVINCES}
    for commune, counts in communes.items():
        provinces[COMMUNES[commune].province].add(counts)
    return provinces


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


def _suppress(cells: list[Cell], *, k: int, parent: Cell) -> None:
    for measure in MEASURES:
        values = {cell.code: getattr(cell.counts, measure) for cell in cells}
        withheld = suppression.protect_group(values, k=k, parent_withheld=measure in parent.withheld)
        for cell in cells:
            if cell.code in withheld:
                cell.withheld.add(measure)


@dataclass
class CompletionTable:
    total: Cell
    provinces: list[Cell]
    province: Cell | None = None  # with level=commune: the province, as in the province table
    communes: list[Cell] = field(default_factory=list)


def completion_table(
    communes: Mapping[str, Counts], targets: Mapping[str, int], *, k: int, province: str | None
) -> CompletionTable:
    """Every province (and the communes of `province`), suppressed top-down: country, provinces, communes."""
    by_province = province_counts(communes)
    national = Counts()
    for counts in by_province.values():
        national.add(counts)
    total = Cell(
        NATIONAL,
        "Toàn quốc",
        national,
        targets.get(NATIONAL),
        {m for m in MEASURES if suppression.is_small(getattr(national, m), k)},
    )
    provinces = [Cell(code, unit.name, by_province[code], targets.get(code)) for code, unit in PROVINCES.items()]
    _suppress(provinces, k=k, parent=total)
    table = CompletionTable(total=total, provinces=provinces)
    if province is not None:
        table.province = next(cell for cell in provinces if cell.code == province)
        table.communes = [
            Cell(unit.code, unit.name, communes.get(unit.code, Counts()), targets.get(unit.code))
            for unit in COMMUNES_BY_PROVINCE[province]
        ]
        _suppress(table.communes, k=k, parent=table.province)
    return table


def _rate(numerator: int | None, denominator: int | None, digits: int = 4) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, digits)


def published_row(cell: Cell, *, k: int) -> dict:
    """The figures of one cell as they may be published (withheld counts and rates from them: None)."""
    learners_ = suppression.publish(cell.counts.learners, "learners" in cell.withheld)
    completed = suppression.publish(cell.counts.completed, "completed" in cell.withheld)
    satisfaction = round(cell.counts.stars / cell.counts.ratings, 2) if cell.counts.ratings >= k else None
    return {
        "code": cell.code,
        "name": cell.name,
        "learners": learners_,
        "completed": completed,
        "completion_rate": _rate(completed, learners_) if learners_ is not None else None,
        "target": cell.target,
        "coverage_rate": _rate(completed, cell.target),
        "satisfaction": satisfaction,
    }


def completion(session: Session, *, course_slug: str, province: str | None, k: int) -> CompletionTable:
    return completion_table(
        commune_counts(session, course_slug=course_slug), load_targets(session), k=k, province=province
    )


# --- time series -------------------------------------------------------------------------------------


def daily_completions(session: Session, *, course_slug: str, communes: Iterable[str] | None) -> dict[date, int]:
    """New completions per day (Vietnam time), summed over communes and shards."""
    table = CompletionDaily
    query = select(table.day, func.sum(table.completed)).where(table.course_slug == course_slug)
    if communes is not None:
        query = query.where(table.commune.in_(list(communes)))
    rows = session.exec(query.group_by(table.day)).all()
    return {day: int(total) for day, total in rows if total}


@dataclass(frozen=True)
class SeriesDay:
    day: date
    completed: int | None
    running_total: int | None


def series_days(daily: Mapping[date, int], *, start: date, end: date, k: int, withheld: bool) -> list[SeriesDay]:
    """The days from start to end; suppression runs from the first day ever counted, so any window agrees."""
    first = min([start, *daily])
    values = [daily.get(first + timedelta(days=i), 0) for i in range((end - first).days + 1)]
    points = suppression.protect_series(values, k=k)
    out = []
    for i, point in enumerate(points):
        day = first + timedelta(days=i)
        if day >= start:
            out.append(SeriesDay(day, None if withheld else point.completed, None if withheld else point.running_total))
    return out


def timeseries(
    session: Session, *, course_slug: str, province: str | None, start: date, end: date, k: int
) -> tuple[list[SeriesDay], bool]:
    """(days, withheld): a province whose completed figure is withheld in the province table is withheld
    here too, or its days would add up to it."""
    communes = [unit.code for unit in COMMUNES_BY_PROVINCE[province]] if province else None
    daily = daily_completions(session, course_slug=course_slug, communes=communes)
    table = completion(session, course_slug=course_slug, province=province, k=k)
    cell = table.province if province else table.total
    withheld = "completed" in cell.withheld
    return series_days(daily, start=start, end=end, k=k, withheld=withheld), withheld


def first_day(session: Session, *, course_slug: str) -> date | None:
    return session.exec(select(func.min(CompletionDaily.day)).where(CompletionDaily.course_slug == course_slug)).one()


# --- writes ------------------------------------------------------------------------------------------


def save_targets(session: Session, *, targets: Mapping[str, int]) -> None:
    """Upsert adults per locality (codes already validated), in the caller's transaction."""
    now = utcnow()
    table = LocalityTarget.__table__
    for code, adults in sorted(targets.items()):
        stmt = insert_for(session, table).values(code=code, adults=adults, updated_at=now)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["code"], set_={"adults": stmt.excluded.adults, "updated_at": stmt.excluded.updated_at}
            )
        )
