"""Publish parsed content into the database: idempotent, one transaction, versions keyed by hash."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session, select

from app.catalogue.models import ContentAsset, Course, CourseModule, CourseVersion, GlossaryEntry, Lesson, Quiz
from app.catalogue.parsed import CourseSource, ImageAsset, QuizSource, digest
from app.catalogue.problems import Problem, errors
from app.catalogue.render import render_lesson
from app.catalogue.rules import ContentRules
from app.catalogue.walker import parse_content
from app.config import API_PREFIX
from app.db import row_id, utcnow

IMPORT_LOCK_KEY = 7_243_002  # PostgreSQL advisory lock: one import at a time
ASSET_PATH = f"{API_PREFIX}/assets/"


class ContentInvalid(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in content")
        self.problems = problems


@dataclass(frozen=True)
class Published:
    course: str
    status: str  # "created", "updated", "unchanged"
    content_hash: str
    lessons: int


def import_content(session: Session, root: Path, rules: ContentRules | None = None) -> list[Published]:
    """Validate everything under root, then publish every course in the caller's transaction (it commits).

    Errors refuse the whole import; warnings do not. The review age is not checked here: a failed
    import would keep serving the older text, so staleness is `content validate`'s job (CI).
    """
    parsed = parse_content(root, rules)
    found = errors(parsed.problems)
    if found:
        raise ContentInvalid(found)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK_KEY})
    report = [publish_course(session, course) for course in parsed.courses]
    session.flush()
    return report


def publish_course(session: Session, source: CourseSource) -> Published:
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
    course.version_id = row_id(version)
    course.published_at = now
    session.add(course)
    session.flush()
    return Published(source.slug, status, content_hash, lesson_count)


def asset_url(image: ImageAsset) -> str:
    return ASSET_PATH + image.name


def _store_version(session: Session, source: CourseSource, content_hash: str) -> CourseVersion:
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
    version_id = row_id(version)
    for position, module in enumerate(source.modules):
        session.add(
            CourseModule(
                version_id=version_id, slug=module.slug, position=position, title=module.title, summary=module.summary
            )
        )
        if module.quiz is not None:
            session.add(_quiz_row(version_id, module.quiz))
    for position, term in enumerate(source.glossary):
        session.add(
            GlossaryEntry(
                version_id=version_id, position=position, term_id=term.id, term=term.term, explanation=term.explanation
            )
        )
    _store_images(session, source)
    _store_lessons(session, source, version_id)
    session.flush()
    return version


def _quiz_row(version_id: int, quiz: QuizSource) -> Quiz:
    return Quiz(
        version_id=version_id,
        slug=quiz.slug,
        title=quiz.title,
        pass_ratio=quiz.pass_ratio,
        ask=quiz.ask,
        review=quiz.review,
        content_hash=quiz.content_hash(),
        questions=[asdict(q) for q in quiz.questions],
    )


def _store_images(session: Session, source: CourseSource) -> None:
    """Store each picture the lessons show, once: assets are shared across courses and versions."""
    used = {path for _, lesson in source.lessons() for path in lesson.images}
    for path in sorted(used):
        image = source.images[path]
        stored = session.exec(select(ContentAsset.sha256).where(ContentAsset.sha256 == image.sha256)).first()
        if stored is None:
            session.add(
                ContentAsset(sha256=image.sha256, media_type=image.media_type, size=len(image.data), data=image.data)
            )
            session.flush()


def _store_lessons(session: Session, source: CourseSource, version_id: int) -> None:
    ordered = source.lessons()
    image_urls = {path: asset_url(image) for path, image in source.images.items()}
    for position, (module, lesson) in enumerate(ordered):
        prev_slug = ordered[position - 1][1].slug if position > 0 else None
        next_slug = ordered[position + 1][1].slug if position + 1 < len(ordered) else None
        html = render_lesson(lesson.body, image_urls=image_urls, glossary=source.glossary)
        assets = [source.images[path].name for path in lesson.images]
        etag = digest([html, lesson.title, module.slug, lesson.minutes, prev_slug, next_slug, assets])[:32]
        session.add(
            Lesson(
                version_id=version_id,
                module_slug=module.slug,
                slug=lesson.slug,
                position=position,
                title=lesson.title,
                minutes=lesson.minutes,
                html=html,
                etag=f'"{etag}"',
                assets=assets,
            )
        )
