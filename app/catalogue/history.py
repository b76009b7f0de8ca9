"""What each course served, and when: its versions numbered 1, 2, … and every publication, for authors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from app.catalogue.models import Course, CoursePublication, CourseVersion, Lesson, Quiz


@dataclass(frozen=True)
class PublicationView:
    version: int | None  # the course's version number (1 = its first); None for a withdrawal
    content_hash: str | None
    action: str  # import, publish, rollback, withdraw
    actor: str | None  # pseudonymous key of the author; None: the command line
    at: datetime
    summary: dict


@dataclass(frozen=True)
class CourseState:
    slug: str
    version: int
    content_hash: str
    withdrawn: bool


@dataclass(frozen=True)
class PublishedLesson:
    slug: str
    title: str
    module: str


@dataclass(frozen=True)
class PublishedOutline:
    """What a course serves now, as far as a diff needs it: lessons in order, quiz questions with their keys."""

    slug: str
    lessons: list[PublishedLesson]
    quizzes: dict[str, list[dict]]  # module slug -> questions as stored


def version_numbers(session: Session, course_slug: str) -> dict[int, int]:
    """Version id -> its number within the course, in the order the versions were first stored."""
    ids = session.exec(
        select(CourseVersion.id).where(CourseVersion.course_slug == course_slug).order_by(col(CourseVersion.id))
    ).all()
    return {version_id: number for number, version_id in enumerate(ids, start=1) if version_id is not None}


def version_id_of(session: Session, course_slug: str, number: int) -> int | None:
    """The id of version `number` of a course, or None."""
    for version_id, found in version_numbers(session, course_slug).items():
        if found == number:
            return version_id
    return None


def course_history(session: Session, course_slug: str) -> list[PublicationView]:
    """Every publication of a course, newest first."""
    numbers = version_numbers(session, course_slug)
    hashes = dict(
        session.exec(
            select(CourseVersion.id, CourseVersion.content_hash).where(CourseVersion.course_slug == course_slug)
        ).all()
    )
    rows = session.exec(
        select(CoursePublication)
        .where(CoursePublication.course_slug == course_slug)
        .order_by(col(CoursePublication.id).desc())
    ).all()
    return [
        PublicationView(
            version=numbers.get(row.version_id) if row.version_id is not None else None,
            content_hash=hashes.get(row.version_id) if row.version_id is not None else None,
            action=row.action,
            actor=row.actor,
            at=row.at,
            summary=row.summary or {},
        )
        for row in rows
    ]


def course_state(session: Session, course_slug: str) -> CourseState | None:
    """The version a course serves (or served last, when withdrawn); None for a course never published."""
    course = session.get(Course, course_slug)
    if course is None:
        return None
    version = session.get(CourseVersion, course.version_id)
    number = version_numbers(session, course_slug).get(course.version_id, 0)
    return CourseState(course_slug, number, version.content_hash if version else "", course.withdrawn_at is not None)


def published_outline(session: Session, course_slug: str) -> PublishedOutline | None:
    """The lessons and quizzes a course serves now; None when it is not in the catalogue (new or withdrawn)."""
    course = session.get(Course, course_slug)
    if course is None or course.withdrawn_at is not None:
        return None
    lessons = session.exec(
        select(Lesson.slug, Lesson.title, Lesson.module_slug)
        .where(Lesson.version_id == course.version_id)
        .order_by(col(Lesson.position))
    ).all()
    quizzes = session.exec(select(Quiz.slug, Quiz.questions).where(Quiz.version_id == course.version_id)).all()
    return PublishedOutline(
        slug=course_slug,
        lessons=[PublishedLesson(slug, title, module) for slug, title, module in lessons],
        quizzes={slug: list(questions) for slug, questions in quizzes},
    )
