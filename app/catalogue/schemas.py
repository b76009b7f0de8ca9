"""Response shapes of the public catalogue API (field names fixed by PRODUCT.md)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class CourseSummary(BaseModel):
    slug: str
    title: str
    summary: str
    sequential: bool
    modules: int
    lessons: int
    quizzes: int
    minutes: int
    content_hash: str
    published_at: datetime


class CourseList(BaseModel):
    courses: list[CourseSummary]


class LessonOutline(BaseModel):
    slug: str
    title: str
    minutes: int | None
    assets: list[str]  # URLs of the lesson's pictures and recording, for "download this course"


class QuizOutline(BaseModel):
    id: str
    title: str
    questions: int
    pass_ratio: float


class ModuleOutline(BaseModel):
    slug: str
    title: str
    summary: str
    lessons: list[LessonOutline]
    quiz: QuizOutline | None


class CourseDetail(CourseSummary):
    pass_ratio: float
    outline: list[ModuleOutline]


class LessonOut(BaseModel):
    course: str
    slug: str
    title: str
    module: str
    prev: str | None
    next: str | None
    minutes: int | None
    html: str
    assets: list[str]  # URLs of the pictures in html and of the recording (immutable, content-hashed)
    audio: str | None = Field(
        None, description="URL of the lesson's recorded narration (MP3 or Opus), if any; `html` is its transcript"
    )


class TermOut(BaseModel):
    id: str
    term: str
    explanation: str


class GlossaryOut(BaseModel):
    terms: list[TermOut]
