"""Publish parsed content into the database: idempotent, one transaction, versions keyed by hash.

The command line (`content import`, and `serve` at start) and the author API (app/author) both publish
through publish_parsed, so what an author publishes is checked and stored exactly as an import is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session, col, select

from app.catalogue.models import (
    ContentAsset,
    Course,
    CourseModule,
    CoursePublication,
    CourseVersion,
    GlossaryEntry,
    Lesson,
    Quiz,
)
from app.catalogue.parsed import CourseSource, ImageAsset, QuizSource, digest
from app.catalogue.problems import Problem, errors
from app.catalogue.render import render_lesson
from app.catalogue.rules import ContentRules
from app.catalogue.walker import ContentParse, parse_content
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
    # "created", "updated", "unchanged"; "kept": the folder did not change since its last import and an author
    # has published, rolled back or withdrawn the course since, so the import leaves the course as it is.
    status: str
    content_hash: str
    lessons: int


def import_content(session: Session, root: Path, rules: ContentRules | None = None) -> list[Published]:
    """Validate everything under root, then publish every course in the caller's transaction (it commits).

    Errors refuse the whole import; warnings do not. The review age is not checked here: a failed
    import would keep serving the older text, so staleness is `content validate`'s job (CI).
    """
    return publish_parsed(session, parse_content(root, rules), actor=None)


def publish_parsed(
    session: Session, parsed: ContentParse, *, actor: str | None, summaries: Mapping[str, dict] | None = None
) -> list[Published]:
    """Publish every course of a parse with no error: an import (actor None) or an author's publish.

    summaries: per course, what the history records about the change (the author API's diff summary)."""
    found = errors(parsed.problems)
    if found:
        raise ContentInvalid(found)
    lock_imports(session)
    summaries = summaries or {}
    report = [
        publish_course(session, course, actor=actor, summary=summaries.get(course.slug, {}))
        for course in parsed.courses
    ]
    session.flush()
    return report


def lock_imports(session: Session) -> None:
    """One change of the catalogue at a time (PostgreSQL; SQLite's writers queue by themselves)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK_KEY})


def publish_course(
    session: Session, source: CourseSource, *, actor: str | None = None, summary: dict | None = None
) -> Published:
    """Make source the served version of its course, creating the version if it is new."""
    content_hash = source.content_hash()
    lesson_count = len(source.lessons())
    course = session.get(Course, source.slug)
    if actor is None and course is not None and _folder_unchanged(session, source):
        return Published(source.slug, "kept", content_hash, lesson_count)
    version = session.exec(
        select(CourseVersion).where(
            CourseVersion.course_slug == source.slug, CourseVersion.content_hash == content_hash
        )
    ).first()
    if course is not None and version is not None and course.version_id == version.id and not course.withdrawn_at:
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
    _serve(session, course, row_id(version), now)
    _record(
        session,
        course.slug,
        row_id(version),
        "import" if actor is None else "publish",
        actor=actor,
        source_hash=source.source_hash(),
        summary=summary or {},
    )
    return Published(source.slug, status, content_hash, lesson_count)


def serve_version(session: Session, *, course_slug: str, version_id: int, actor: str, summary: dict) -> bool:
    """Serve an earlier version of a course again (a rollback); False when it is already served."""
    lock_imports(session)
    course = session.get(Course, course_slug)
    if course is None:
        raise KeyError(course_slug)
    if course.version_id == version_id and course.withdrawn_at is None:
        return False
    _serve(session, course, version_id, utcnow())
    _record(session, course_slug, version_id, "rollback", actor=actor, summary=summary)
    return True


def withdraw_course(session: Session, *, course_slug: str, actor: str) -> bool:
    """Take a course out of the catalogue (progress and certificates stay); False when it already was."""
    lock_imports(session)
    course = session.get(Course, course_slug)
    if course is None:
        raise KeyError(course_slug)
    if course.withdrawn_at is not None:
        return False
    now = utcnow()
    course.withdrawn_at = now
    course.published_at = now  # the catalogue's revision changes: every worker reloads
    session.add(course)
    session.flush()
    _record(session, course_slug, None, "withdraw", actor=actor, summary={})
    return True


def _serve(session: Session, course: Course, version_id: int, now) -> None:
    course.version_id = version_id
    course.published_at = now
    course.withdrawn_at = None
    session.add(course)
    session.flush()


def _record(
    session: Session,
    course_slug: str,
    version_id: int | None,
    action: str,
    *,
    actor: str | None,
    summary: dict,
    source_hash: str | None = None,
) -> None:
    session.add(
        CoursePublication(
            course_slug=course_slug,
            version_id=version_id,
            action=action,
            source_hash=source_hash,
            actor=actor,
            at=utcnow(),
            summary=summary,
        )
    )
    session.flush()


def _folder_unchanged(session: Session, source: CourseSource) -> bool:
    """The course's files are those of its last import, and an author changed the course since."""
    latest = session.exec(
        select(CoursePublication)
        .where(CoursePublication.course_slug == source.slug)
        .order_by(col(CoursePublication.id).desc())
        .limit(1)
    ).first()
    if latest is None or latest.action == "import":
        return False
    last_import = session.exec(
        select(CoursePublication.source_hash)
        .where(CoursePublication.course_slug == source.slug, CoursePublication.action == "import")
        .order_by(col(CoursePublication.id).desc())
        .limit(1)
    ).first()
    return last_import == source.source_hash()


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


@dataclass(frozen=True)
class RenderedLesson:
    """A lesson as learners get it: what the Lesson row stores (and an author's preview shows)."""

    module: str
    slug: str
    position: int
    title: str
    minutes: int | None
    html: str
    etag: str
    assets: list[str]
    prev: str | None
    next: str | None


def rendered_lessons(source: CourseSource, *, asset_path: str = ASSET_PATH) -> list[RenderedLesson]:
    """Every lesson rendered, in course order; pictures point at asset_path + '<sha256>.<ext>'."""
    ordered = source.lessons()
    image_urls = {path: asset_path + image.name for path, image in source.images.items()}
    rendered = []
    for position, (module, lesson) in enumerate(ordered):
        prev_slug = ordered[position - 1][1].slug if position > 0 else None
        next_slug = ordered[position + 1][1].slug if position + 1 < len(ordered) else None
        html = render_lesson(lesson.body, image_urls=image_urls, glossary=source.glossary)
        assets = [source.images[path].name for path in lesson.images]
        etag = digest([html, lesson.title, module.slug, lesson.minutes, prev_slug, next_slug, assets])[:32]
        rendered.append(
            RenderedLesson(
                module.slug,
                lesson.slug,
                position,
                lesson.title,
                lesson.minutes,
                html,
                f'"{etag}"',
                assets,
                prev_slug,
                next_slug,
            )  # fmt: skip
        )
    return rendered


def _store_lessons(session: Session, source: CourseSource, version_id: int) -> None:
    for lesson in rendered_lessons(source):
        session.add(
            Lesson(
                version_id=version_id,
                module_slug=lesson.module,
                slug=lesson.slug,
                position=lesson.position,
                title=lesson.title,
                minutes=lesson.minutes,
                html=lesson.html,
                etag=lesson.etag,
                assets=lesson.assets,
            )
        )
