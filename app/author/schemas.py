"""Request and response shapes of the author API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from app.catalogue.schemas import CourseDetail, LessonOut, TermOut


class ContextLine(BaseModel):
    line: int
    text: str


class ProblemOut(BaseModel):
    file: str = Field(description="path inside the zip, e.g. an-toan/01-mat-khau/01-bai.md")
    line: int
    severity: Literal["error", "warning"]
    code: str = Field(description="stable, in English, for tools: e.g. unknown_key, picture_not_found")
    message: str = Field(description="for the author, in Vietnamese")
    context: list[ContextLine] = Field(default_factory=list, description="the line and its neighbours")


class LessonChanges(BaseModel):
    added: list[str]
    removed: list[str]
    renamed: list[dict[str, str]] = Field(description="[{from, to}]: learners keep no progress across a rename")
    retitled: list[dict[str, str]]


class QuizChanges(BaseModel):
    quiz: str
    added: list[str]
    removed: list[str]
    changed: list[str]


class CourseDiff(BaseModel):
    course: str
    new: bool = Field(description="true when nothing of this course is published")
    lessons: LessonChanges
    quizzes: list[QuizChanges]
    learners_on_removed: int = Field(description="learners with progress on a lesson slug the draft removes")


class DraftCourse(BaseModel):
    slug: str
    title: str
    content_hash: str
    lessons: int
    published_version: int | None = Field(description="the version served now; None if none")
    unchanged: bool = Field(description="the draft is what is served now")


class DraftOut(BaseModel):
    id: str
    created_at: datetime
    published_at: datetime | None
    errors: int
    warnings: int
    problems: list[ProblemOut]
    courses: list[DraftCourse]
    diff: list[CourseDiff]


class OptionPreview(BaseModel):
    id: str
    text: str


class QuestionPreview(BaseModel):
    id: str
    text: str
    multiple: bool
    options: list[OptionPreview]


class QuizPreview(BaseModel):
    id: str
    title: str
    pass_ratio: float
    ask: int | None
    review: str
    questions: list[QuestionPreview]


class CoursePreview(BaseModel):
    course: CourseDetail
    lessons: list[LessonOut]
    quizzes: list[QuizPreview]
    glossary: list[TermOut]


class PublishedCourse(BaseModel):
    course: str
    status: Literal["created", "updated", "unchanged", "kept"]
    content_hash: str
    version: int


class PublishOut(BaseModel):
    courses: list[PublishedCourse]


class RollbackIn(BaseModel):
    version: int = Field(ge=1, le=1_000_000)


class CourseChangeOut(BaseModel):
    course: str
    status: Literal["rolled_back", "unchanged", "withdrawn", "already_withdrawn"]
    version: int | None


class VersionOut(BaseModel):
    version: int | None = Field(description="the course's version number, 1 first; null for a withdrawal")
    content_hash: str | None
    action: Literal["import", "publish", "rollback", "withdraw"]
    published_by: str | None = Field(description="pseudonymous key of the author; null: the command line")
    at: datetime
    summary: dict


class VersionsOut(BaseModel):
    course: str
    current: int | None
    withdrawn: bool
    versions: list[VersionOut]


class AuditEntry(BaseModel):
    id: int = Field(description="pass it as `before` for the next page")
    at: datetime
    actor: str
    action: Literal["draft", "publish", "rollback", "withdraw"]
    course: str | None
    draft: str | None
    detail: dict


class AuditOut(BaseModel):
    entries: list[AuditEntry]
