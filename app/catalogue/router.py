"""Public catalogue reads: courses, lessons (with ETag), glossaries, pictures and quizzes (never the answers)."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request, Response

from app.catalogue.dependencies import CatalogueDep
from app.catalogue.importer import ASSET_PATH
from app.catalogue.schemas import (
    CourseDetail,
    CourseList,
    CourseSummary,
    GlossaryOut,
    LessonOut,
    LessonOutline,
    ModuleOutline,
    OptionOut,
    QuestionOut,
    QuizOut,
    QuizOutline,
    TermOut,
)
from app.catalogue.service import CourseView, LessonView
from app.config import API_PREFIX
from app.errors import NotFound

router = APIRouter(prefix=API_PREFIX, tags=["catalogue"])

LESSON_CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=600"
ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable"
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"
ASSET_NAME = re.compile(r"[0-9a-f]{64}\.(?:svg|png|jpg|webp)", re.ASCII)
NOT_MODIFIED = {304: {"description": "Not modified (If-None-Match matched the ETag)"}}


def _summary(course: CourseView) -> dict:
    return dict(
        slug=course.slug,
        title=course.title,
        summary=course.summary,
        sequential=course.sequential,
        modules=len(course.modules),
        lessons=len(course.lessons),
        quizzes=len(course.quizzes),
        minutes=sum(lesson.minutes or 0 for lesson in course.lessons.values()),
        content_hash=course.content_hash,
        published_at=course.published_at,
    )


def _asset_urls(lesson: LessonView) -> list[str]:
    return [ASSET_PATH + name for name in lesson.assets]


@router.get("/courses", response_model=CourseList)
def list_courses(catalogue: CatalogueDep) -> CourseList:
    return CourseList(courses=[CourseSummary(**_summary(c)) for c in catalogue.courses.values()])


@router.get("/courses/{course}", response_model=CourseDetail)
def get_course(course: str, catalogue: CatalogueDep) -> CourseDetail:
    view = catalogue.course(course)
    outline = [
        ModuleOutline(
            slug=module.slug,
            title=module.title,
            summary=module.summary,
            lessons=[_lesson_outline(view.lessons[slug]) for slug in module.lessons],
            quiz=QuizOutline(
                id=module.quiz.slug,
                title=module.quiz.title,
                questions=len(module.quiz.questions),
                pass_ratio=module.quiz.pass_ratio,
            )
            if module.quiz
            else None,
        )
        for module in view.modules
    ]
    return CourseDetail(**_summary(view), pass_ratio=view.pass_ratio, outline=outline)


def _lesson_outline(lesson: LessonView) -> LessonOutline:
    return LessonOutline(slug=lesson.slug, title=lesson.title, minutes=lesson.minutes, assets=_asset_urls(lesson))


@router.get("/courses/{course}/lessons/{lesson}", response_model=LessonOut, responses=NOT_MODIFIED)
def get_lesson(course: str, lesson: str, request: Request, catalogue: CatalogueDep) -> Response:
    view = catalogue.course(course).lesson(lesson)
    headers = {"ETag": view.etag, "Cache-Control": LESSON_CACHE_CONTROL}
    if _etag_matches(request.headers.get("if-none-match"), view.etag):
        return Response(status_code=304, headers=headers)
    body = LessonOut(
        course=course,
        slug=view.slug,
        title=view.title,
        module=view.module,
        prev=view.prev,
        next=view.next,
        minutes=view.minutes,
        html=view.html,
        assets=_asset_urls(view),
    )
    return Response(body.model_dump_json(), media_type="application/json", headers=headers)


@router.get("/courses/{course}/glossary", response_model=GlossaryOut, responses=NOT_MODIFIED)
def get_glossary(course: str, request: Request, catalogue: CatalogueDep) -> Response:
    view = catalogue.course(course)
    headers = {"ETag": view.glossary_etag, "Cache-Control": LESSON_CACHE_CONTROL}
    if _etag_matches(request.headers.get("if-none-match"), view.glossary_etag):
        return Response(status_code=304, headers=headers)
    body = GlossaryOut(terms=[TermOut(id=t.id, term=t.term, explanation=t.explanation) for t in view.glossary])
    return Response(body.model_dump_json(), media_type="application/json", headers=headers)


@router.get(
    "/assets/{name}",
    response_class=Response,
    responses={
        200: {"description": "The picture's bytes", "content": {"image/svg+xml": {}, "image/png": {}}},
        **NOT_MODIFIED,
    },
)
def get_asset(name: str, request: Request, catalogue: CatalogueDep) -> Response:
    if not ASSET_NAME.fullmatch(name):
        raise NotFound(f"no asset '{name[:80]}'", code="asset_not_found")
    asset = catalogue.asset(name)
    headers = {"ETag": asset.etag, "Cache-Control": ASSET_CACHE_CONTROL, "X-Content-Type-Options": "nosniff"}
    if asset.media_type == "image/svg+xml":
        headers["Content-Security-Policy"] = SVG_POLICY
    if _etag_matches(request.headers.get("if-none-match"), asset.etag):
        return Response(status_code=304, headers=headers)
    return Response(asset.data, media_type=asset.media_type, headers=headers)


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in candidates or etag in candidates


@router.get("/courses/{course}/quizzes/{quiz}", response_model=QuizOut)
def get_quiz(course: str, quiz: str, catalogue: CatalogueDep) -> QuizOut:
    view = catalogue.course(course).quiz(quiz)
    questions = [
        QuestionOut(
            id=q.id, text=q.text, multiple=q.multiple, options=[OptionOut(id=o.id, text=o.text) for o in q.options]
        )
        for q in view.questions
    ]
    return QuizOut(
        id=view.slug,
        course=course,
        title=view.title,
        pass_ratio=view.pass_ratio,
        content_hash=view.content_hash,
        questions=questions,
    )
