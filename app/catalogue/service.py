"""The served catalogue: an immutable in-memory snapshot of every course's current version.

Lessons are read on every page turn by millions of phones, so they are served from memory
(app/catalogue/cache.py keeps the snapshot current, off the request path).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.catalogue.models import ContentAsset, Course, CourseModule, CourseVersion, GlossaryEntry, Lesson, Quiz
from app.catalogue.parsed import digest
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
    ask: int | None = None  # questions drawn per attempt (None: all)
    review: str = "hints"  # what a reply reveals before the quiz is passed

    @property
    def asked(self) -> int:
        return self.ask or len(self.questions)


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
    assets: tuple[str, ...] = ()  # asset names '<sha256>.<ext>'


@dataclass(frozen=True)
class TermView:
    id: str
    term: str
    explanation: str


@dataclass(frozen=True)
class AssetView:
    name: str  # '<sha256>.<ext>'
    media_type: str
    data: bytes = field(repr=False)

    @property
    def etag(self) -> str:
        return f'"{self.name.split(".", 1)[0]}"'


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
    glossary: tuple[TermView, ...] = ()
    glossary_etag: str = '""'
    first_published_at: datetime | None = None  # of the course's first version: nobody studied it before

    @cached_property  # a snapshot never changes; progress checks the order on every event
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
    assets: dict[str, AssetView] = field(default_factory=dict, repr=False)

    def course(self, slug: str) -> CourseView:
        try:
            return self.courses[slug]
        except KeyError:
            raise NotFound(f"no course '{slug}'", code="course_not_found") from None

    def asset(self, name: str) -> AssetView:
        try:
            return self.assets[name]
        except KeyError:
            raise NotFound(f"no asset '{name}'", code="asset_not_found") from None


def catalogue_revision(session: Session) -> tuple:
    """Changes whenever any course points at another version, or is withdrawn."""
    row = session.exec(
        select(
            func.count(),
            func.sum(Course.version_id),
            func.max(Course.published_at),
            func.count(col(Course.withdrawn_at)),
        )
    ).one()
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
    return QuizView(quiz.slug, quiz.title, quiz.pass_ratio, quiz.content_hash, questions, quiz.ask, quiz.review)


@dataclass(frozen=True)
class _Rows:
    """The rows of every served version, read with one query per table."""

    modules: list[CourseModule]
    lessons: list[Lesson]
    quizzes: list[Quiz]
    terms: list[GlossaryEntry]


def load_catalogue(session: Session) -> Catalogue:
    """Read every course's current version, its glossary and its pictures into an immutable snapshot."""
    revision = catalogue_revision(session)
    rows = session.exec(
        select(Course, CourseVersion)
        .join(CourseVersion, col(CourseVersion.id) == Course.version_id)
        .where(col(Course.withdrawn_at).is_(None))
    ).all()
    ids = [version.id for _, version in rows]
    found = _Rows(
        modules=list(
            session.exec(
                select(CourseModule).where(col(CourseModule.version_id).in_(ids)).order_by(col(CourseModule.position))
            )
        ),
        lessons=list(
            session.exec(select(Lesson).where(col(Lesson.version_id).in_(ids)).order_by(col(Lesson.position)))
        ),
        quizzes=list(session.exec(select(Quiz).where(col(Quiz.version_id).in_(ids)))),
        terms=list(
            session.exec(
                select(GlossaryEntry)
                .where(col(GlossaryEntry.version_id).in_(ids))
                .order_by(col(GlossaryEntry.position))
            )
        ),
    )
    first = select(CourseVersion.course_slug, func.min(CourseVersion.imported_at)).group_by(CourseVersion.course_slug)
    firsts = {slug: at for slug, at in session.exec(first).all()}
    courses = {
        course.slug: replace(_course_view(course, version, found), first_published_at=firsts.get(course.slug))
        for course, version in sorted(rows, key=_by_slug)
    }
    return Catalogue(revision=revision, courses=courses, assets=_asset_views(session, found.lessons))


def _by_slug(pair: tuple[Course, CourseVersion]) -> str:
    return pair[0].slug


def _course_view(course: Course, version: CourseVersion, found: _Rows) -> CourseView:
    vid = version.id
    lessons = _lesson_views([lesson for lesson in found.lessons if lesson.version_id == vid])
    quizzes = {quiz.slug: _quiz_view(quiz) for quiz in found.quizzes if quiz.version_id == vid}
    modules = tuple(
        ModuleView(
            m.slug,
            m.title,
            m.summary,
            tuple(slug for slug, view in lessons.items() if view.module == m.slug),
            quizzes.get(m.slug),
        )
        for m in found.modules
        if m.version_id == vid
    )
    glossary = tuple(TermView(t.term_id, t.term, t.explanation) for t in found.terms if t.version_id == vid)
    return CourseView(
        slug=course.slug,
        title=version.title,
        summary=version.summary,
        sequential=version.sequential,
        pass_ratio=version.pass_ratio,
        content_hash=version.content_hash,
        published_at=course.published_at,
        modules=modules,
        lessons=lessons,
        quizzes=quizzes,
        glossary=glossary,
        glossary_etag=f'"{digest([[t.id, t.term, t.explanation] for t in glossary])[:32]}"',
    )


def _lesson_views(lessons: list[Lesson]) -> dict[str, LessonView]:
    """Lessons of one version in course order, each with its neighbours."""
    order = [lesson.slug for lesson in lessons]
    views = {}
    for index, lesson in enumerate(lessons):
        views[lesson.slug] = LessonView(
            slug=lesson.slug,
            title=lesson.title,
            module=lesson.module_slug,
            position=lesson.position,
            minutes=lesson.minutes,
            html=lesson.html,
            etag=lesson.etag,
            prev=order[index - 1] if index > 0 else None,
            next=order[index + 1] if index + 1 < len(order) else None,
            assets=tuple(lesson.assets or ()),
        )
    return views


def _asset_views(session: Session, lessons: list[Lesson]) -> dict[str, AssetView]:
    """The pictures of the served lessons, bytes included, so serving one needs no query."""
    names = {name for lesson in lessons for name in lesson.assets or ()}
    by_hash = {name.split(".", 1)[0]: name for name in names}
    if not by_hash:
        return {}
    rows = session.exec(select(ContentAsset).where(col(ContentAsset.sha256).in_(list(by_hash)))).all()
    return {by_hash[row.sha256]: AssetView(by_hash[row.sha256], row.media_type, row.data) for row in rows}


def course_slugs(session: Session) -> list[str]:
    """Every course ever published, withdrawn ones included (the statistics keep counting their learners)."""
    return list(session.exec(select(Course.slug)).all())
