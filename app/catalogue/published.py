"""The catalogue's public responses, made once per snapshot: JSON bytes, gzip bytes and ETags.

Lessons are read on every page turn by millions of phones; serialising them once per content version
instead of once per request is most of what makes the read path fast.
"""

from __future__ import annotations

from app.catalogue.audio import EXTENSIONS as AUDIO_EXTENSIONS
from app.catalogue.importer import ASSET_PATH
from app.catalogue.schemas import (
    CourseDetail,
    CourseList,
    CourseSummary,
    GlossaryOut,
    LessonOut,
    LessonOutline,
    ModuleOutline,
    QuizOutline,
    TermOut,
)
from app.catalogue.service import Catalogue, CourseView, LessonView
from app.http import Prebuilt

JSON = "application/json"
CONTENT_CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=600"
ASSET_CACHE_CONTROL = "public, max-age=31536000, immutable"
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


def asset_urls(lesson: LessonView) -> list[str]:
    return [ASSET_PATH + name for name in lesson.assets]


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


def course_detail(view: CourseView) -> CourseDetail:
    outline = [
        ModuleOutline(
            slug=module.slug,
            title=module.title,
            summary=module.summary,
            lessons=[
                LessonOutline(slug=lesson.slug, title=lesson.title, minutes=lesson.minutes, assets=asset_urls(lesson))
                for lesson in (view.lessons[slug] for slug in module.lessons)
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


def _json(model, *, etag: str | None = None) -> Prebuilt:
    return Prebuilt.of(
        model.model_dump_json().encode(), media_type=JSON, cache_control=CONTENT_CACHE_CONTROL, etag=etag
    )


def lesson_response(course: CourseView, view: LessonView) -> Prebuilt:
    urls = asset_urls(view)
    body = LessonOut(
        course=course.slug,
        slug=view.slug,
        title=view.title,
        module=view.module,
        prev=view.prev,
        next=view.next,
        minutes=view.minutes,
        html=view.html,
        assets=urls,
        audio=next((url for url in urls if url.endswith(AUDIO_EXTENSIONS)), None),
    )
    return _json(body, etag=view.etag)


def build_responses(catalogue: Catalogue) -> dict[tuple[str, ...], Prebuilt]:
    """Every public catalogue response of this snapshot, keyed ("courses",), ("course", c), ("lesson", c, l),
    ("glossary", c), ("asset", name)."""
    responses: dict[tuple[str, ...], Prebuilt] = {
        ("courses",): _json(CourseList(courses=[CourseSummary(**_summary(c)) for c in catalogue.courses.values()]))
    }
    for course in catalogue.courses.values():
        responses["course", course.slug] = _json(course_detail(course))
        terms = [TermOut(id=t.id, term=t.term, explanation=t.explanation) for t in course.glossary]
        responses["glossary", course.slug] = _json(GlossaryOut(terms=terms), etag=course.glossary_etag)
        for lesson in course.lessons.values():
            responses["lesson", course.slug, lesson.slug] = lesson_response(course, lesson)
    for name, asset in catalogue.assets.items():
        extra = {"X-Content-Type-Options": "nosniff"}
        if asset.media_type == "image/svg+xml":
            extra["Content-Security-Policy"] = SVG_POLICY
        responses["asset", name] = Prebuilt.of(
            asset.data, media_type=asset.media_type, cache_control=ASSET_CACHE_CONTROL, etag=asset.etag, **extra
        )
    return responses
