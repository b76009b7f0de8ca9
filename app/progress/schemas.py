"""Progress events (offline batches) and the learner's progress summary."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

HARD_MAX_EVENTS = 10_000  # parsing bound; the configured MAX_EVENTS_PER_BATCH is lower


class EventIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID
    type: str = Field(min_length=1, max_length=64)
    course: str = Field(min_length=1, max_length=64)
    lesson: str | None = Field(default=None, min_length=1, max_length=64)
    at: datetime = Field(description="ISO 8601 time the lesson was completed on the device")

    @field_validator("at", mode="before")
    @classmethod
    def _iso_text(cls, value: object) -> object:
        if not isinstance(value, str):  # a bare number would be read as a Unix time: the schema says text
            raise ValueError("give the time as ISO 8601 text, e.g. 2026-11-20T08:15:00+07:00")
        return value


class EventBatchIn(BaseModel):
    events: list[EventIn] = Field(max_length=HARD_MAX_EVENTS)


class Rejected(BaseModel):
    id: uuid.UUID
    reason: str


class EventBatchOut(BaseModel):
    accepted: int
    duplicates: int
    rejected: list[Rejected]


class CourseProgressOut(BaseModel):
    course: str
    title: str
    lessons_done: int
    lessons_total: int
    quizzes_passed: int
    quizzes_total: int
    completed: bool
    completed_at: datetime | None
    next_lesson: str | None
    next_quiz: str | None
    certificate: str | None


class ProgressOut(BaseModel):
    courses: list[CourseProgressOut]
