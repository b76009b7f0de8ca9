"""Graded quiz attempts; each records the hash of the quiz version it was graded against."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from app.db import UtcDateTime


class QuizAttempt(SQLModel, table=True):
    __tablename__ = "quiz_attempt"
    __table_args__ = (Index("ix_quiz_attempt_learner_course", "learner_key", "course_slug", "quiz_slug"),)

    learner_key: str = Field(foreign_key="learner.key", primary_key=True, max_length=64)
    attempt_id: uuid.UUID = Field(primary_key=True)
    course_slug: str = Field(max_length=64)
    quiz_slug: str = Field(max_length=64)
    quiz_hash: str = Field(max_length=64)
    score: int
    max_score: int
    passed: bool
    result: dict = Field(sa_column=Column(JSON, nullable=False))  # the reply sent, returned again on resend
    submitted_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
