"""Statistics (scope stats), adult-population targets (scope admin) and course ratings (scope learner)."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from app.auth.dependencies import Admin, StatsReader
from app.catalogue.dependencies import CatalogueDep
from app.clock import VIETNAM
from app.config import API_PREFIX
from app.db import SessionDep
from app.errors import NotFound, Unprocessable, UnsupportedMediaType
from app.localities.official import PROVINCES
from app.stats import csvout, service
from app.stats.models import ALL_COURSES
from app.stats.schemas import CompletionOut, CompletionRow, SeriesRow, TargetsOut, TimeseriesOut
from app.stats.targets import parse_targets

router = APIRouter(prefix=API_PREFIX, tags=["statistics"])

CACHE_CONTROL = "private, max-age=30"  # dashboards poll; figures move as learners complete
MAX_SERIES_DAYS = 3660
CSV_TYPES = {"text/csv", "text/plain", "application/csv", "application/vnd.ms-excel", "application/octet-stream"}
NOT_MODIFIED = {304: {"description": "Not modified (If-None-Match matched the ETag)"}}

Format = Annotated[Literal["json", "csv"], Query(description="csv: UTF-8 with BOM, for Excel")]
CourseQuery = Annotated[str | None, Query(max_length=64, description="a course slug; omitted: all courses")]


def _course_slug(course: str | None, catalogue) -> str:
    if course is None:
        return ALL_COURSES
    return catalogue.course(course).slug  # 404 for an unknown course


def _province(code: str | None) -> str | None:
    if code is not None and code not in PROVINCES:
        raise NotFound(f"no province with code '{code}' (codes are 2 digits, e.g. '01')", code="province_not_found")
    return code


def _cached(request: Request, body: bytes, media_type: str, headers: dict[str, str] | None = None) -> Response:
    etag = 'W/"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": "Authorization", **(headers or {})}
    candidates = {tag.strip().removeprefix("W/") for tag in request.headers.get("if-none-match", "").split(",")}
    if "*" in candidates or etag.removeprefix("W/") in candidates:
        return Response(status_code=304, headers={k: v for k, v in headers.items() if k != "Content-Disposition"})
    return Response(body, media_type=media_type, headers=headers)


def _stamp() -> str:
    return datetime.now(VIETNAM).date().isoformat()


@router.get("/stats/completion", response_model=CompletionOut, responses=NOT_MODIFIED)
def get_completion(
    request: Request,
    session: SessionDep,
    catalogue: CatalogueDep,
    _reader: StatsReader,
    course: CourseQuery = None,
    level: Literal["province", "commune"] | None = Query(None, description="default: commune with province="),
    province: str | None = Query(None, max_length=2),
    format: Format = "json",
):
    """Started and completed per province, or per commune of one province, with a national total."""
    province = _province(province)
    level = level or ("commune" if province else "province")
    if level == "commune" and province is None:
        raise Unprocessable("level=commune needs province=<2-digit code>", code="province_required")
    if level == "province" and province is not None:
        raise Unprocessable("province= goes with level=commune", code="province_unexpected")
    slug = _course_slug(course, catalogue)
    k = request.app.state.settings.suppression_k
    table = service.completion(session, course_slug=slug, province=province, k=k)
    cells = table.communes if level == "commune" else table.provinces
    rows = [service.published_row(cell, k=k) for cell in cells]
    total = service.published_row(table.total, k=k)
    own = service.published_row(table.province, k=k) if table.province else None
    if format == "csv":
        header = list(CompletionRow.model_fields)
        extra = [own] if own else []
        body = csvout.to_csv(header, ([row[h] for h in header] for row in [*rows, *extra, total]))
        name = f"completion_{course or 'all-courses'}_{province or 'provinces'}_{_stamp()}.csv"
        return _cached(request, body, csvout.MEDIA_TYPE, {"Content-Disposition": csvout.attachment(name)})
    out = CompletionOut(course=course, level=level, province=own, suppression_k=k, rows=rows, total=total)
    return _cached(request, out.model_dump_json().encode(), "application/json")


@router.get("/stats/timeseries", response_model=TimeseriesOut, responses=NOT_MODIFIED)
def get_timeseries(
    request: Request,
    session: SessionDep,
    catalogue: CatalogueDep,
    _reader: StatsReader,
    course: CourseQuery = None,
    province: str | None = Query(None, max_length=2),
    start: date | None = Query(None, alias="from", description="first day (default: the first completion)"),
    end: date | None = Query(None, alias="to", description="last day (default: today, Vietnam time)"),
    format: Format = "json",
):
    """New completions per day and the running total, nationally or for one province."""
    province = _province(province)
    slug = _course_slug(course, catalogue)
    k = request.app.state.settings.suppression_k
    end = end or datetime.now(VIETNAM).date()
    start = start or service.first_day(session, course_slug=slug) or end
    if start > end:
        raise Unprocessable(f"from ({start}) is after to ({end})", code="invalid_range")
    if (end - start) > timedelta(days=MAX_SERIES_DAYS):
        raise Unprocessable(f"at most {MAX_SERIES_DAYS} days per request", code="range_too_long")
    days, withheld = service.timeseries(session, course_slug=slug, province=province, start=start, end=end, k=k)
    rows = [SeriesRow(day=d.day, completed=d.completed, running_total=d.running_total) for d in days]
    name = PROVINCES[province].name if province else "Toàn quốc"
    if format == "csv":
        body = csvout.to_csv(
            ["day", "code", "name", "completed", "running_total"],
            ([r.day.isoformat(), province or "", name, r.completed, r.running_total] for r in rows),
        )
        filename = f"timeseries_{course or 'all-courses'}_{province or 'national'}_{start}_{end}.csv"
        return _cached(request, body, csvout.MEDIA_TYPE, {"Content-Disposition": csvout.attachment(filename)})
    out = TimeseriesOut(course=course, province=province, name=name, suppression_k=k, withheld=withheld, rows=rows)
    return _cached(request, out.model_dump_json().encode(), "application/json")


async def csv_body(request: Request) -> str:
    """The request body as CSV text (read here, so the handler can do its database work off the event loop)."""
    media_type = request.headers.get("content-type", "text/csv").split(";")[0].strip().lower()
    if media_type not in CSV_TYPES:
        raise UnsupportedMediaType(f"send the targets as text/csv, not {media_type}")
    try:
        return (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unprocessable("the CSV is not UTF-8 (in Excel: Save As 'CSV UTF-8')", code="invalid_csv") from exc


@router.put("/admin/targets", response_model=TargetsOut, openapi_extra={"requestBody": {"content": {"text/csv": {}}}})
def put_targets(text: Annotated[str, Depends(csv_body)], session: SessionDep, _admin: Admin) -> TargetsOut:
    """Adults per province and/or commune (CSV `code,adults`), the denominator of coverage_rate."""
    targets, problems = parse_targets(text)
    if problems:
        raise Unprocessable(
            f"{len(problems)} problem(s) in the CSV; nothing was saved",
            code="invalid_csv",
            details=[{"line": p.line, "message": p.message} for p in problems],
        )
    service.save_targets(session, targets=targets)
    session.commit()
    provinces = sum(1 for code in targets if len(code) == 2)
    return TargetsOut(updated=len(targets), provinces=provinces, communes=len(targets) - provinces)
