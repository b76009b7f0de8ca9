"""The catalogue's public responses, made once per snapshot: JSON bytes, gzip bytes and ETags.

Lessons are read on every page turn by millions of phones; serialising them once per content version
instead of once per request is most of what makes the read path fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

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


class LessonLike(Protocol):
    """What a lesson response is made of: a published LessonView, or a draft's RenderedLesson (read-only)."""

    @property
    def slug(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def module(self) -> str: ...
    @property
    def prev(self) -> str | None: ...
    @property
    def next(self) -> str | None: ...
    @property
    def minutes(self) -> int | None: ...
    @property
    def html(self) -> str: ...
    @property
    def assets(self) -> Sequence[str]: ...


class QuizLike(Protocol):
    """What a quiz's outline entry is made of: a published QuizView, or a draft's QuizSource (read-only)."""

    @property
    def slug(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def questions(self) -> Sequence[object]: ...
    @property
    def pass_ratio(self) -> float: ...


def asset_urls(lesson: LessonLike, asset_path: str = ASSET_PATH) -> list[str]:
    return [asset_path + name for name in lesson.assets]


def lesson_outline(lesson: LessonLike, asset_path: str = ASSET_PATH) -> LessonOutline:
    """A lesson's entry in its course's outline (published, or previewed by its author)."""
    return LessonOutline(
        slug=lesson.slug, title=lesson.title, minutes=lesson.minutes, assets=asset_urls(lesson, asset_path)
    )


def quiz_outline(quiz: QuizLike | None) -> QuizOutline | None:
    """A module's quiz in its course's outline (published, or previewed by its author); None without one."""
    if quiz is None:
        return None
    return QuizOutline(id=quiz.slug, title=quiz.title, questions=len(quiz.questions), pass_ratio=quiz.pass_ratio)


def lesson_out(course: str, lesson: LessonLike, *, asset_path: str = ASSET_PATH) -> LessonOut:
    """A lesson as the learner app reads it (published, or previewed by its author): pictures and the recording
    as asset URLs, the recording also as `audio`."""
    urls = asset_urls(lesson, asset_path)
    return LessonOut(
        course=course,
        slug=lesson.slug,
        title=lesson.title,
        module=lesson.module,
        prev=lesson.prev,
        next=lesson.next,
        minutes=lesson.minutes,
        html=lesson.html,
        assets=urls,
        audio=next((url for url in urls if url.endswith(AUDIO_EXTENSIONS)), None),
    )


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
            lessons=[lesson_outline(view.lessons[slug]) for slug in module.lessons],
            quiz=quiz_outline(module.quiz),
        )
        for module in view.modules
    ]
    return CourseDetail(**_summary(view), pass_ratio=view.pass_ratio, outline=outline)


def _json(model, *, etag: str | None = None) -> Prebuilt:
    return Prebuilt.of(
        model.model_dump_json().encode(), media_type=JSON, cache_control=CONTENT_CACHE_CONTROL, etag=etag
    )


def lesson_response(course: CourseView, view: LessonView) -> Prebuilt:
    return _json(lesson_out(course.slug, view), etag=view.etag)


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
