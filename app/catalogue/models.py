"""Published course versions. Content is keyed by slug; a version is immutable once imported."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, LargeBinary, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.db import UtcDateTime


class Course(SQLModel, table=True):
    __tablename__ = "course"

    slug: str = Field(primary_key=True, max_length=64)
    version_id: int = Field(index=True)  # the version served now (or last served, when withdrawn)
    published_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    # Set when an author withdrew the course: it leaves the catalogue; progress and certificates stay.
    withdrawn_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))


class CourseVersion(SQLModel, table=True):
    __tablename__ = "course_version"
    __table_args__ = (UniqueConstraint("course_slug", "content_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    course_slug: str = Field(foreign_key="course.slug", max_length=64, index=True)
    content_hash: str = Field(max_length=64)
    title: str = Field(max_length=300)
    summary: str = Field(sa_column=Column(Text, nullable=False))
    sequential: bool
    pass_ratio: float
    imported_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class CourseModule(SQLModel, table=True):
    __tablename__ = "course_module"
    __table_args__ = (UniqueConstraint("version_id", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="course_version.id")
    slug: str = Field(max_length=64)
    position: int
    title: str = Field(max_length=300)
    summary: str = Field(sa_column=Column(Text, nullable=False))


class Lesson(SQLModel, table=True):
    __tablename__ = "lesson"
    __table_args__ = (UniqueConstraint("version_id", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="course_version.id")
    module_slug: str = Field(max_length=64)
    slug: str = Field(max_length=64)
    position: int  # order within the whole course
    title: str = Field(max_length=300)
    minutes: int | None = None
    html: str = Field(sa_column=Column(Text, nullable=False))
    etag: str = Field(max_length=80)
    # Names ('<sha256>.<ext>') of the pictures the lesson shows, in order: an offline app downloads them.
    assets: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default=text("'[]'")))


class Quiz(SQLModel, table=True):
    __tablename__ = "quiz"
    __table_args__ = (UniqueConstraint("version_id", "slug"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="course_version.id")
    slug: str = Field(max_length=64)  # = module slug
    title: str = Field(max_length=300)
    pass_ratio: float
    ask: int | None = None  # questions drawn per attempt (None: all)
    review: str = Field(default="hints", max_length=16, sa_column_kwargs={"server_default": "hints"})
    content_hash: str = Field(max_length=64)
    # Questions with their answer keys and explanations: never sent to clients as is.
    questions: list = Field(sa_column=Column(JSON, nullable=False))


class GlossaryEntry(SQLModel, table=True):
    """A term of a course version's glossary, with its plain explanation."""

    __tablename__ = "glossary_term"
    __table_args__ = (UniqueConstraint("version_id", "term_id"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="course_version.id")
    position: int
    term_id: str = Field(max_length=100)
    term: str = Field(max_length=100)
    explanation: str = Field(sa_column=Column(Text, nullable=False))


class ContentAsset(SQLModel, table=True):
    """An image addressed by the SHA-256 of its bytes: shared by every version that shows it, never changed."""

    __tablename__ = "content_asset"

    sha256: str = Field(primary_key=True, max_length=64)
    media_type: str = Field(max_length=40)
    size: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class CoursePublication(SQLModel, table=True):
    """Every change of what a course serves: an import, an author's publish or rollback, a withdrawal."""

    __tablename__ = "course_publication"

    id: int | None = Field(default=None, primary_key=True)
    course_slug: str = Field(foreign_key="course.slug", max_length=64, index=True)
    version_id: int | None = Field(default=None, foreign_key="course_version.id")  # None: a withdrawal
    action: str = Field(max_length=16)  # import, publish, rollback, withdraw
    # Hash of the files published (without the renderer's version): tells an import whether the folder changed.
    source_hash: str | None = Field(default=None, max_length=64)
    actor: str | None = Field(default=None, max_length=64)  # the author's pseudonymous key; None: the command line
    at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    summary: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
