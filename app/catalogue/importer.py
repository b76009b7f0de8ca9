"""Publish parsed content into the database: idempotent, one transaction, versions keyed by hash."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session, select

from app.catalogue import markdown
from app.catalogue.models import Course, CourseModule, CourseVersion, Lesson, Quiz
from app.catalogue.render import render_lesson
from app.db import utcnow

IMPORT_LOCK_KEY = 7_243_002  # PostgreSQL advisory lock: one import at a time


class ContentInvalid(Exception):
    def __init__(self, problems: list[markdown.Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in content")
        self.problems = problems


@dataclass(frozen=True)
class Published:
    course: str
    status: str  # "created", "updated", "unchanged"
    content_hash: str
    lessons: int


def import_content(session: Session, root: Path) -> list[Published]:
    """Validate everything under root, then publish every course in one transaction."""
    courses, problems = markdown.parse_content(root)
    if problems:
        raise ContentInvalid(problems)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK_KEY})
    report = [publish_course(session, course) for course in courses]
    session.commit()
    return report


def publish_course(session: Session, source: markdown.CourseSource) -> Published:
    """Make source the served version of its course, creating the version if it is new."""
    content_hash = source.content_hash()
    lesson_count = len(source.lessons())
    course = session.get(Course, source.slug)
    version = session.exec(
        select(CourseVersion).where(
            CourseVersion.course_slug == source.slug, CourseVersion.content_hash == content_hash
        )
    ).first()
    if course is not None and version is not None and course.version_id == version.id:
        return Published(source.slug, "unchanged", content_hash, lesson_count)
    now = utcnow()
    if course is None:
        # The row must exist before versions can refer to it; version_id is set just below.
        course = Course(slug=source.slug, version_id=0, published_at=now)
        session.add(course)
        session.flush()
        status = "created"
    else:
        status = "updated"
    if version is None:
        version = _store_version(session, source, content_hash)
    course.version_id = version.id
    course.published_at = now
    session.add(course)
    session.flush()
    return Published(source.slug, status, content_hash, lesson_count)


def _store_version(session: Session, source: markdown.CourseSource, content_hash: str) -> CourseVersion:
    version = CourseVersion(
        course_slug=source.slug,
        content_hash=content_hash,
        title=source.title,
        summary=source.summary,
        sequential=source.sequential,
        pass_ratio=source.pass_ratio,
        imported_at=utcnow(),
    )
    session.add(version)
    session.flush()
    ordered = source.lessons()
    for position, module in enumerate(source.modules):
        session.add(
            CourseModule(
                version_id=version.id, slug=module.slug, position=position, title=module.title, summary=module.summary
            )
        )
        if module.quiz is not None:
            quiz = module.quiz
            session.add(
                Quiz(
                    version_id=version.id,
                    slug=quiz.slug,
                    title=quiz.title,
                    pass_ratio=quiz.pass_ratio,
                    content_hash=quiz.content_hash(),
                    questions=[asdict(q) for q in quiz.questions],
                )
            )
    for position, (module, lesson) in enumerate(ordered):
        prev_slug = ordered[position - 1][1].slug if position > 0 else None
        next_slug = ordered[position + 1][1].slug if position + 1 < len(ordered) else None
        html = render_lesson(lesson.body)
        etag = markdown.digest([html, lesson.title, module.slug, lesson.minutes, prev_slug, next_slug])[:32]
        session.add(
            Lesson(
                version_id=version.id,
                module_slug=module.slug,
                slug=lesson.slug,
                position=position,
                title=lesson.title,
                minutes=lesson.minutes,
                html=html,
                etag=f'"{etag}"',
            )
        )
    session.flush()
    return version
