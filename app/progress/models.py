"""A learner's progress, keyed by course and lesson slug (the learner row itself: app.learners.models)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, Column, false
from sqlmodel import Field, SQLModel

from app.db import UtcDateTime

LEARNER_FK = "learner.key"


class ProgressEvent(SQLModel, table=True):
    """Accepted client event ids, so a resent event is recognised and changes nothing."""

    __tablename__ = "progress_event"

    learner_key: str = Field(foreign_key=LEARNER_FK, primary_key=True, max_length=64)
    event_id: uuid.UUID = Field(primary_key=True)
    received_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class LessonCompletion(SQLModel, table=True):
    __tablename__ = "lesson_completion"

    learner_key: str = Field(foreign_key=LEARNER_FK, primary_key=True, max_length=64)
    course_slug: str = Field(primary_key=True, max_length=64)
    lesson_slug: str = Field(primary_key=True, max_length=64)
    completed_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))  # the earliest one


class Enrolment(SQLModel, table=True):
    """A learner's state in one course: started, and (once) completed."""

    __tablename__ = "enrolment"

    learner_key: str = Field(foreign_key=LEARNER_FK, primary_key=True, max_length=64)
    course_slug: str = Field(primary_key=True, max_length=64, index=True)
    started_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    completed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    # The completion was implausibly fast (docs/learning-integrity.md): counted apart as `flagged`.
    flagged: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    # Server time of the earliest moment the server saw the learner at the course: the first arrival of an
    # event or attempt, or the issue of a quiz form an attempt answered (None: enrolled before it was kept).
    witnessed_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
