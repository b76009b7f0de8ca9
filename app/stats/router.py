"""Statistics (scope stats) from the latest release, releasing (scope admin), adult-population targets (scope admin)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from typing_extensions import TypeAliasType

from app.auth.dependencies import Admin
from app.catalogue.dependencies import CatalogueDep
from app.config import API_PREFIX
from app.db import ROW_ID_MAX, ReadSessionDep, SessionDep
from app.dependencies import SettingsDep
from app.errors import Conflict, Unprocessable, UnsupportedMediaType, error_responses
from app.http import BINARY, conditional
from app.limits.dependencies import StatsRead
from app.localities import official
from app.stats import csvout, datapackage, dictionary, schedule, service, xlsx
from app.stats.models import ALL_COURSES
from app.stats.schemas import CompletionOut, Level, ReleaseOut, ReleasesOut, TargetsOut, TimeseriesOut
from app.stats.targets import parse_targets

router = APIRouter(
    prefix=API_PREFIX, tags=["statistics"], responses=error_responses(401, 403, 404, 413, 415, 422, 429, 503)
)

CACHE_CONTROL = "private, max-age=300"  # figures change only at releases
CSV_TYPES = {"text/csv", "text/plain", "application/csv", "application/vnd.ms-excel", "application/octet-stream"}
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {304: {"description": "Not modified (If-None-Match matched the ETag)"}}
CSV_TEXT = {"type": "string", "description": "CSV with a header row"}
TABLE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "application/json": {},
            "text/csv": {"schema": CSV_TEXT},
            xlsx.MEDIA_TYPE: {"schema": BINARY},
        },
        "description": "JSON, CSV with format=csv, or an Excel workbook with format=xlsx",
    }
}
TARGETS_BODY = {  # read by csv_body, so FastAPI cannot describe it itself; a file as Excel saves it
    "required": True,
    "content": {
        "text/csv": {
            "schema": {**BINARY, "description": "CSV `code,adults`, UTF-8 (a byte-order mark is allowed)"},
            "example": "code,adults\n01,6500000\n00070,12000\n",
        }
    },
}

TableFormat = TypeAliasType("TableFormat", Literal["json", "csv", "xlsx"])
Format = Annotated[
    TableFormat, Query(description="csv: UTF-8 with BOM; xlsx: an Excel workbook with a sheet that explains it")
]
ReleaseId = Annotated[
    int | None,
    Query(ge=1, le=ROW_ID_MAX, description="a kept release (GET /stats/releases); default: the latest"),
]


@dataclass(frozen=True)
class CourseKey:
    slug: str  # the counters' key: a course slug or '*'
    requested: str | None  # as asked (None: all courses)


async def course_key(
    catalogue: CatalogueDep,
    course: Annotated[str | None, Query(max_length=64, description="a course slug; omitted: all courses")] = None,
) -> CourseKey:
    return CourseKey(ALL_COURSES if course is None else catalogue.course(course).slug, course)  # 404 if unknown


async def province_code(province: Annotated[str | None, Query(max_length=2)] = None) -> str | None:
    return official.province(province).code if province is not None else None


async def commune_table(
    province: Annotated[str | None, Depends(province_code)],
    level: Annotated[Level | None, Query(description="default: commune with province=")] = None,
) -> str | None:
    """The province whose communes are asked for, or None for the province table."""
    level = level or ("commune" if province else "province")
    if level == "commune" and province is None:
        raise Unprocessable("level=commune needs province=<2-digit code>", code="province_required")
    if level == "province" and province is not None:
        raise Unprocessable("province= goes with level=commune", code="province_unexpected")
    return province


def _download(
    request: Request,
    format: str,
    columns: tuple[dictionary.Column, ...],
    rows: list[dict[str, Any]],
    release: ReleaseOut,
    course: str | None,
    filename: str,
) -> Response:
    """The rows as CSV or XLSX, in the data dictionary's column order, stamped with the release."""
    stamp = {"release": release.id, "as_of": release.as_of.isoformat(), "course": course or ""}
    table = [[{**r, **stamp}.get(c.name) for c in columns] for r in rows]
    if format == "xlsx":
        title = filename.rsplit(".", 1)[0]
        body = xlsx.to_xlsx(columns, table, title=title, method=release.method)
        media_type, filename = xlsx.MEDIA_TYPE, f"{filename}.xlsx"
    else:
        body = csvout.to_csv([c.name for c in columns], table)
        media_type, filename = csvout.MEDIA_TYPE, f"{filename}.csv"
    return conditional(
        request,
        body,
        media_type=media_type,
        cache_control=CACHE_CONTROL,
        headers={"Vary": "Authorization, Accept-Encoding", "Content-Disposition": csvout.attachment(filename)},
    )


def _json(request: Request, body: bytes) -> Response:
    return conditional(
        request,
        body,
        media_type="application/json",
        cache_control=CACHE_CONTROL,
        headers={"Vary": "Authorization, Accept-Encoding"},
    )


@router.get("/stats/releases", response_model=ReleasesOut)
def get_releases(session: ReadSessionDep, _reader: StatsRead) -> ReleasesOut:
    """Every kept release, newest first, with its method and privacy guarantee (read one with ?release=N)."""
    return service.releases(session)


@router.get("/stats/completion", response_model=CompletionOut, responses={**TABLE, **NOT_MODIFIED})
def get_completion(
    request: Request,
    session: ReadSessionDep,
    _reader: StatsRead,
    course: Annotated[CourseKey, Depends(course_key)],
    province: Annotated[str | None, Depends(commune_table)],
    release: ReleaseId = None,
    format: Format = "json",
) -> Response:
    """Started, completed and flagged per province, or per commune of one province, with a national total; each
    figure with its 95% margin."""
    out = service.completion(
        session, course_slug=course.slug, course=course.requested, province=province, release=release
    )
    if format == "json":
        return _json(request, out.model_dump_json().encode())
    rows = [r.model_dump() for r in [*out.rows, *([out.province] if out.province else []), out.total]]
    name = f"completion_{course.requested or 'all-courses'}_{province or 'provinces'}_release-{out.release.id}"
    return _download(request, format, dictionary.COMPLETION, rows, out.release, course.requested, name)


@router.get("/stats/timeseries", response_model=TimeseriesOut, responses={**TABLE, **NOT_MODIFIED})
def get_timeseries(
    request: Request,
    session: ReadSessionDep,
    _reader: StatsRead,
    course: Annotated[CourseKey, Depends(course_key)],
    province: Annotated[str | None, Depends(province_code)],
    start: Annotated[date | None, Query(alias="from", description="first day (default: the series' first)")] = None,
    end: Annotated[date | None, Query(alias="to", description="last day (default: the release's last day)")] = None,
    release: ReleaseId = None,
    format: Format = "json",
) -> Response:
    """Completions counted at each day's release and their change, nationally or for one province, with margins."""
    series = service.timeseries(
        session,
        course_slug=course.slug,
        course=course.requested,
        province=province,
        start=start,
        end=end,
        release=release,
    )
    if format == "json":
        return _json(request, series.json())
    head = series.head
    rows = [
        {
            "day": day.isoformat(),
            "level": head.level,
            "code": head.code,
            "name": head.name,
            "completed": done,
            "completed_margin": done_margin,
            "running_total": total,
            "running_total_margin": total_margin,
        }
        for day, done, done_margin, total, total_margin in series.days
    ]
    first, last = series.days[0][0], series.days[-1][0]
    name = f"timeseries_{course.requested or 'all-courses'}_{head.code}_{first}_{last}"
    return _download(request, format, dictionary.SERIES, rows, head.release, course.requested, name)


@router.get("/stats/datapackage.json", responses={200: {"content": {"application/json": {}}}})
def get_datapackage(request: Request, settings: SettingsDep, _reader: StatsRead) -> Response:
    """A Frictionless Data Package describing the CSV downloads: every column's type, unit and meaning."""
    body = datapackage.describe(settings.public_base_url.rstrip("/") + API_PREFIX)
    return _json(request, body)


@router.post("/admin/stats/releases", response_model=ReleaseOut, status_code=201, responses=error_responses(409))
def post_release(session: SessionDep, settings: SettingsDep, _admin: Admin) -> ReleaseOut:
    """Publish a release now (besides the daily schedule), e.g. after `stats rebuild` repaired the counters."""
    published = schedule.publish(session, settings)  # in a child process: app/stats/schedule.py
    if published is None:  # its slot, the current instant, was taken by another request in the same microsecond
        raise Conflict("a release was published at this same instant; try again", code="release_exists")
    return published


async def csv_body(request: Request) -> str:
    """The request body as CSV text (read here, so the handler can do its database work off the event loop)."""
    media_type = request.headers.get("content-type", "text/csv").split(";")[0].strip().lower()
    if media_type not in CSV_TYPES:
        raise UnsupportedMediaType(f"send the targets as text/csv, not {media_type}")
    try:
        return (await request.body()).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unprocessable("the CSV is not UTF-8 (in Excel: Save As 'CSV UTF-8')", code="invalid_csv") from exc


@router.put("/admin/targets", response_model=TargetsOut, openapi_extra={"requestBody": TARGETS_BODY})
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
