"""Public catalogue reads: courses, lessons (with ETag) and quizzes (never the answers)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.catalogue.dependencies import CatalogueDep
from app.catalogue.schemas import (
    CourseDetail,
    CourseList,
    CourseSummary,
    LessonOut,
    LessonOutline,
    ModuleOutline,
    OptionOut,
    QuestionOut,
    QuizOut,
    QuizOutline,
)
from app.catalogue.service import CourseView
from app.config import API_PREFIX

router = APIRouter(prefix=API_PREFIX, tags=["catalogue"])

LESSON_CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=600"


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
            lessons=[
                LessonOutline(slug=s, title=view.lessons[s].title, minutes=view.lessons[s].minutes)
                for s in module.lessons
            ],
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


@router.get(
    "/courses/{course}/lessons/{lesson}",
    response_model=LessonOut,
    responses={304: {"description": "Not modified (If-None-Match matched the ETag)"}},
)
def get_lesson(course: str, lesson: str, request: Request, catalogue: CatalogueDep):
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
    )
    return Response(body.model_dump_json(), media_type="application/json", headers=headers)


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
