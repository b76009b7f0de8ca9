"""Public catalogue reads: courses, lessons (with ETag), glossaries and pictures (quiz forms: app.learners).

Every response is prebuilt once per content version (app/catalogue/published.py);
the handlers are `async def` and touch neither the database nor the thread pool.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request, Response

from app.catalogue.cache import current_snapshot
from app.catalogue.images import MEDIA_TYPES
from app.catalogue.schemas import CourseDetail, CourseList, GlossaryOut, LessonOut
from app.config import API_PREFIX
from app.errors import NotFound, error_responses
from app.http import BINARY

router = APIRouter(prefix=API_PREFIX, tags=["catalogue"], responses=error_responses(404, 422, 503))

ASSET_NAME = re.compile(r"[0-9a-f]{64}\.(?:svg|png|jpg|webp|mp3|opus|ogg)", re.ASCII)
PICTURES = dict.fromkeys(MEDIA_TYPES.values())  # the media types a picture is served as, each once
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {304: {"description": "Not modified (If-None-Match matched the ETag)"}}


@router.get("/courses", response_model=CourseList)
async def list_courses(request: Request) -> Response:
    snapshot = current_snapshot(request)
    return snapshot.responses["courses",].respond(request)


@router.get("/courses/{course}", response_model=CourseDetail, responses=NOT_MODIFIED)
async def get_course(course: str, request: Request) -> Response:
    snapshot = current_snapshot(request)
    snapshot.catalogue.course(course)  # 404 for an unknown course
    return snapshot.responses["course", course].respond(request)


@router.get("/courses/{course}/lessons/{lesson}", response_model=LessonOut, responses=NOT_MODIFIED)
async def get_lesson(course: str, lesson: str, request: Request) -> Response:
    snapshot = current_snapshot(request)
    prebuilt = snapshot.responses.get(("lesson", course, lesson))
    if prebuilt is None:
        snapshot.catalogue.course(course).lesson(lesson)  # the right 404
        # the catalogue knows the lesson but the snapshot built no reply for it: still a 404, never a 500
        raise NotFound(f"no lesson '{lesson[:80]}' in course '{course[:80]}'", code="lesson_not_found")
    return prebuilt.respond(request)


@router.get("/courses/{course}/glossary", response_model=GlossaryOut, responses=NOT_MODIFIED)
async def get_glossary(course: str, request: Request) -> Response:
    snapshot = current_snapshot(request)
    snapshot.catalogue.course(course)
    return snapshot.responses["glossary", course].respond(request)


@router.get(
    "/assets/{name}",
    response_class=Response,
    responses={
        200: {"description": "The picture's bytes", "content": {media: {"schema": BINARY} for media in PICTURES}},
        **NOT_MODIFIED,
    },
)
async def get_asset(name: str, request: Request) -> Response:
    snapshot = current_snapshot(request)
    prebuilt = snapshot.responses.get(("asset", name)) if ASSET_NAME.fullmatch(name) else None
    if prebuilt is None:
        raise NotFound(f"no asset '{name[:80]}'", code="asset_not_found")
    return prebuilt.respond(request)
