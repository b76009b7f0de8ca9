"""The author API under /api/v1/author (scope author or admin) and the page /soan-bai: thin, the service works."""

from __future__ import annotations

import re

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from app.author import service
from app.author.dependencies import AuditReader, Author, AuthorUpload, Limits
from app.author.preview import course_preview
from app.author.schemas import (
    AuditEntry,
    AuditOut,
    CourseChangeOut,
    CoursePreview,
    DraftOut,
    PublishedCourse,
    PublishOut,
    RollbackIn,
    VersionOut,
    VersionsOut,
)
from app.catalogue import history
from app.catalogue.published import SVG_POLICY
from app.config import API_PREFIX, Settings
from app.db import ROW_ID_MAX, SessionDep
from app.errors import NotFound, UnsupportedMediaType, error_responses
from app.http import BINARY
from app.ops.middleware import RouteBodyLimit
from app.web.router import _respond as respond
from app.web.router import load

router = APIRouter(prefix=f"{API_PREFIX}/author", tags=["author"], responses=error_responses(401, 403, 404, 422, 429))
page_router = APIRouter(include_in_schema=False)

ZIP_TYPES = ("application/zip", "application/x-zip-compressed", "application/octet-stream")
ASSET_NAME = re.compile(r"[0-9a-f]{64}\.(?:svg|png|jpg|webp)", re.ASCII)
# The learner app's policy, with blob: pictures: the page fetches a draft's pictures with its token.
PAGE_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; object-src 'none'; frame-ancestors 'none'"
)
# Described as application/octet-stream, the type every client and generator can send as bytes; the route also
# takes application/zip and application/x-zip-compressed (ZIP_TYPES).
ZIP_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/octet-stream": {
                "schema": {**BINARY, "description": "a zip of one or more course folders (docs/content-format.md)"}
            }
        },
    }
}


@router.post(
    "/drafts",
    status_code=201,
    response_model=DraftOut,
    openapi_extra=ZIP_BODY,
    responses=error_responses(413, 415),
)
async def create_draft(request: Request, identity: AuthorUpload, session: SessionDep, limits: Limits) -> DraftOut:
    """A zip of one or more course folders: its problems (in Vietnamese, with stable codes), courses and diff."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type not in ZIP_TYPES:
        raise UnsupportedMediaType("Hãy gửi một tệp zip (Content-Type: application/zip).", code="zip_required")
    archive = await request.body()

    def create() -> DraftOut:
        draft = service.create_draft(session, archive=archive, author=identity.learner_key, limits=limits)
        session.commit()
        return service.draft_out(draft)

    return await run_in_threadpool(create)


@router.get("/drafts/{draft}", response_model=DraftOut)
def get_draft(draft: str, _identity: Author, session: SessionDep) -> DraftOut:
    return service.draft_out(service.get_draft(session, draft))


@router.get("/drafts/{draft}/courses/{course}", response_model=CoursePreview)
def preview_course(draft: str, course: str, _identity: Author, session: SessionDep, limits: Limits) -> CoursePreview:
    """A draft course as learners will get it: every lesson, quiz (without right answers), term and picture."""
    found = service.get_draft(session, draft)
    source = next((c for c in service.parse_draft(found, limits).courses if c.slug == course), None)
    if source is None:
        raise NotFound(f"Bản nháp không có khoá học '{course[:64]}' dùng được.", code="course_not_found")
    asset_path = f"{API_PREFIX}/author/drafts/{found.id}/assets/"
    return course_preview(source, asset_path=asset_path, created_at=found.created_at)


@router.get(
    "/drafts/{draft}/assets/{name}",
    response_class=Response,
    responses={200: {"description": "The picture's bytes", "content": {"image/svg+xml": {"schema": BINARY}}}},
)
def draft_asset(draft: str, name: str, _identity: Author, session: SessionDep, limits: Limits) -> Response:
    found = service.get_draft(session, draft)
    images = (
        image
        for course in service.parse_draft(found, limits).courses
        for image in course.images.values()
        if ASSET_NAME.fullmatch(name) and image.name == name
    )
    image = next(images, None)
    if image is None:
        raise NotFound(f"no picture '{name[:80]}' in this draft", code="asset_not_found")
    headers = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"}
    if image.media_type == "image/svg+xml":
        headers["Content-Security-Policy"] = SVG_POLICY
    return Response(image.data, media_type=image.media_type, headers=headers)


@router.post("/drafts/{draft}/publish", response_model=PublishOut, responses=error_responses(409))
def publish_draft(draft: str, identity: Author, session: SessionDep, limits: Limits) -> PublishOut:
    """Publish every course of the draft at once (refused while an error remains); again: nothing changes."""
    found = service.get_draft(session, draft)
    report = service.publish_draft(session, draft=found, author=identity.learner_key, limits=limits)
    versions = {item.course: history.course_state(session, item.course) for item in report}
    session.commit()
    return PublishOut(
        courses=[
            PublishedCourse(
                course=item.course,
                status=item.status,
                content_hash=item.content_hash,
                version=state.version if (state := versions[item.course]) else 0,
            )
            for item in report
        ]
    )


@router.get("/versions", response_model=VersionsOut)
def list_versions(
    _identity: Author, session: SessionDep, course: str = Query(min_length=1, max_length=64)
) -> VersionsOut:
    """Every publication of a course, newest first: version, content hash, who (a pseudonymous key), when, what."""
    state, found = service.versions(session, course)
    return VersionsOut(
        course=course,
        current=None if state.withdrawn else state.version,
        withdrawn=state.withdrawn,
        versions=[
            VersionOut(
                version=item.version,
                content_hash=item.content_hash,
                action=item.action,
                published_by=item.actor,
                at=item.at,
                summary=item.summary,
            )
            for item in found
        ],
    )


@router.post("/courses/{course}/rollback", response_model=CourseChangeOut)
def rollback_course(course: str, body: RollbackIn, identity: Author, session: SessionDep) -> CourseChangeOut:
    """Serve an earlier version again (and bring a withdrawn course back)."""
    changed = service.rollback(session, course=course, version=body.version, author=identity.learner_key)
    session.commit()
    return CourseChangeOut(course=course, status="rolled_back" if changed else "unchanged", version=body.version)


@router.delete("/courses/{course}", response_model=CourseChangeOut)
def withdraw_course(course: str, identity: Author, session: SessionDep) -> CourseChangeOut:
    """Take a course out of the catalogue. Learners' progress and certificates are kept; a rollback brings it back."""
    changed = service.withdraw(session, course=course, author=identity.learner_key)
    session.commit()
    return CourseChangeOut(course=course, status="withdrawn" if changed else "already_withdrawn", version=None)


@router.get("/audit", response_model=AuditOut)
def read_audit(
    _identity: AuditReader,
    session: SessionDep,
    limit: int = Query(100, ge=1, le=1000),
    before: int | None = Query(None, ge=1, le=ROW_ID_MAX, description="entries older than this id (paging)"),
) -> AuditOut:
    """Every draft, publish, rollback and withdrawal, newest first (scope admin)."""
    return AuditOut(
        entries=[
            AuditEntry(
                id=row.id or 0,
                at=row.at,
                actor=row.actor,
                action=row.action,
                course=row.course_slug,
                draft=row.draft_id,
                detail=row.detail,
            )
            for row in service.audit_log(session, limit=limit, before=before)
        ]
    )


@page_router.get("/soan-bai")
def author_page(request: Request) -> Response:
    """The authors' page (plain files under app/web/static/author/, served like the learner app's)."""
    page = load("author/index.html")
    return respond(request, page, **{"Content-Security-Policy": PAGE_CSP, "Referrer-Policy": "no-referrer"})


author_routers = (router, page_router)  # what app/main.py registers: the API and the page


def author_zip_body(settings: Settings) -> RouteBodyLimit:
    """The body limit of POST /drafts: AUTHOR_ZIP_MAX_BYTES (not MAX_BODY_BYTES), refused as read_archive does."""
    message = "Tệp zip nặng hơn giới hạn {limit} byte: hãy chia các khoá học vào nhiều tệp zip nhỏ hơn."
    return RouteBodyLimit(settings.author_zip_max_bytes, code="archive_too_large", message=message)
