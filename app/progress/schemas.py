"""Progress events (offline batches) and the learner's progress summary."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from typing_extensions import TypeAliasType

HARD_MAX_EVENTS = 10_000  # parsing bound; the configured MAX_EVENTS_PER_BATCH is lower

# Named aliases become named schemas in the OpenAPI (enums typed clients can share); values stay plain strings.
EventType = TypeAliasType("EventType", Literal["lesson_completed"])
RejectionReason = TypeAliasType(
    "RejectionReason",
    Literal["unsupported_type", "unknown_course", "unknown_lesson", "in_future", "before_publication", "locked"],
)
OtherEventType = Annotated[str, Field(min_length=1, max_length=64)]


class EventIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID
    # An open enum: a type this server does not know is rejected per event (`unsupported_type`), not the batch,
    # so an app newer than the server loses nothing else.
    type: EventType | OtherEventType
    course: str = Field(min_length=1, max_length=64)
    lesson: str | None = Field(default=None, min_length=1, max_length=64)
    at: datetime = Field(
        description="ISO 8601 time the lesson was completed on the device, with its UTC offset "
        "(2026-11-20T08:15:00+07:00 or ...Z); a time without one is refused",
        examples=["2026-11-20T08:15:00+07:00"],
    )

    @field_validator("at", mode="before")
    @classmethod
    def _iso_text(cls, value: object) -> object:
        if not isinstance(value, str):  # a bare number would be read as a Unix time: the schema says text
            raise ValueError("give the time as ISO 8601 text, e.g. 2026-11-20T08:15:00+07:00")
        return value

    @field_validator("at")
    @classmethod
    def _with_offset(cls, value: datetime) -> datetime:
        # A phone's local time without an offset is ambiguous: read as UTC, a Vietnamese evening lands seven
        # hours in the future and would be rejected for good. Refusing the batch keeps it in the app's outbox.
        if value.tzinfo is None:
            raise ValueError("the time has no UTC offset; add the offset, e.g. +07:00 (2026-11-20T08:15:00+07:00)")
        return value


class EventBatchIn(BaseModel):
    events: list[EventIn] = Field(max_length=HARD_MAX_EVENTS)


class Rejected(BaseModel):
    id: uuid.UUID
    reason: RejectionReason = Field(
        description="locked: send again once the earlier lessons are done; the others are final (docs/api.md)"
    )


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
