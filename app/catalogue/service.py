"""The served catalogue: an immutable in-memory snapshot of every course's current version.

Lessons are read on every page turn by millions of phones, so they are served from memory.
Each worker checks a cheap revision query at most every `catalogue_refresh_seconds` and reloads
when an import changed something, so a new version is served within seconds, without a restart.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, select

from app.catalogue.models import Course, CourseModule, CourseVersion, Lesson, Quiz
from app.errors import NotFound


@dataclass(frozen=True)
class OptionView:
    id: str
    text: str
    correct: bool


@dataclass(frozen=True)
class QuestionView:
    id: str
    text: str
    options: tuple[OptionView, ...]
    explanation: str | None

    @property
    def multiple(self) -> bool:
        return sum(option.correct for option in self.options) > 1


@dataclass(frozen=True)
class QuizView:
    slug: str
    title: str
    pass_ratio: float
    content_hash: str
    questions: tuple[QuestionView, ...]


@dataclass(frozen=True)
class LessonView:
    slug: str
    title: str
    module: str
    position: int
    minutes: int | None
    html: str
    etag: str
    prev: str | None
    next: str | None


@dataclass(frozen=True)
class ModuleView:
    slug: str
    title: str
    summary: str
    lessons: tuple[str, ...]
    quiz: QuizView | None


@dataclass(frozen=True)
class CourseView:
    slug: str
    title: str
    summary: str
    sequential: bool
    pass_ratio: float
    content_hash: str
    published_at: datetime
    modules: tuple[ModuleView, ...]
    lessons: dict[str, LessonView] = field(repr=False)
    quizzes: dict[str, QuizView] = field(repr=False)

    @property
    def lesson_order(self) -> tuple[str, ...]:
        return tuple(slug for module in self.modules for slug in module.lessons)

    def lesson(self, slug: str) -> LessonView:
        try:
            return self.lessons[slug]
        except KeyError:
            raise NotFound(f"no lesson '{slug}' in course '{self.slug}'", code="lesson_not_found") from None

    def quiz(self, slug: str) -> QuizView:
        try:
            return self.quizzes[slug]
        except KeyError:
            raise NotFound(f"no quiz '{slug}' in course '{self.slug}'", code="quiz_not_found") from None


@dataclass(frozen=True)
class Catalogue:
    revision: tuple
    courses: dict[str, CourseView]

    def course(self, slug: str) -> CourseView:
        try:
            return self.courses[slug]
        except KeyError:
            raise NotFound(f"no course '{slug}'", code="course_not_found") from None


def catalogue_revision(session: Session) -> tuple:
    """Changes whenever any course points at another version."""
    row = session.exec(select(func.count(), func.sum(Course.version_id), func.max(Course.published_at))).one()
    return tuple(row)


def _quiz_view(quiz: Quiz) -> QuizView:
    questions = tuple(
        QuestionView(
            id=q["id"],
            text=q["text"],
            explanation=q.get("explanation"),
            options=tuple(OptionView(o["id"], o["text"], o["correct"]) for o in q["options"]),
        )
        for q in quiz.questions
    )
    return QuizView(quiz.slug, quiz.title, quiz.pass_ratio, quiz.content_hash, questions)


def load_catalogue(session: Session) -> Catalogue:
    """Read every course's current version into an immutable snapshot."""
    revision = catalogue_revision(session)
    rows = session.exec(select(Course, CourseVersion).join(CourseVersion, CourseVersion.id == Course.version_id)).all()
    version_ids = [version.id for _, version in rows]
    modules = session.exec(
        select(CourseModule).where(CourseModule.version_id.in_(version_ids)).order_by(CourseModule.position)
    ).all()
    lessons = session.exec(select(Lesson).where(Lesson.version_id.in_(version_ids)).order_by(Lesson.position)).all()
    quizzes = session.exec(select(Quiz).where(Quiz.version_id.in_(version_ids))).all()
    courses = {}
    for course, version in sorted(rows, key=lambda pair: pair[0].slug):
        vid = version.id
        views = {
            lesson.slug: LessonView(
                lesson.slug,
                lesson.title,
                lesson.module_slug,
                lesson.position,
                lesson.minutes,
                lesson.html,
                lesson.etag,
                None,
                None,
            )
            for lesson in lessons
            if lesson.version_id == vid
        }
        order = list(views)
        views = {slug: _with_neighbours(view, order, index) for index, (slug, view) in enumerate(views.items())}
        quiz_views = {quiz.slug: _quiz_view(quiz) for quiz in quizzes if quiz.version_id == vid}
        module_views = tuple(
            ModuleView(
                m.slug, m.title, m.summary, tuple(s for s in order if views[s].module == m.slug), quiz_views.get(m.slug)
            )
            for m in modules
            if m.version_id == vid
        )
        courses[course.slug] = CourseView(
            slug=course.slug,
            title=version.title,
            summary=version.summary,
            sequential=version.sequential,
            pass_ratio=version.pass_ratio,
            content_hash=version.content_hash,
            published_at=course.published_at,
            modules=module_views,
            lessons=views,
            quizzes=quiz_views,
        )
    return Catalogue(revision=revision, courses=courses)


def _with_neighbours(view: LessonView, order: list[str], index: int) -> LessonView:
    prev_slug = order[index - 1] if index > 0 else None
    next_slug = order[index + 1] if index + 1 < len(order) else None
    return LessonView(
        view.slug, view.title, view.module, view.position, view.minutes, view.html, view.etag, prev_slug, next_slug
    )


class CatalogueCache:
    """One per app: the current snapshot, revalidated at most every refresh_seconds."""

    def __init__(self, refresh_seconds: float) -> None:
        self.refresh_seconds = refresh_seconds
        self._snapshot: Catalogue | None = None
        self._checked_at = 0.0
        self._lock = threading.Lock()

    def get(self, session: Session) -> Catalogue:
        now = time.monotonic()
        snapshot = self._snapshot
        if snapshot is not None and now - self._checked_at < self.refresh_seconds:
            return snapshot
        with self._lock:
            if self._snapshot is not None and now - self._checked_at < self.refresh_seconds:
                return self._snapshot
            if self._snapshot is None or catalogue_revision(session) != self._snapshot.revision:
                self._snapshot = load_catalogue(session)
            self._checked_at = time.monotonic()
            return self._snapshot

    def invalidate(self) -> None:
        self._checked_at = 0.0
        self._snapshot = None
