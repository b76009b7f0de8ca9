"""Quiz attempt request and reply."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]
MAX_QUESTIONS = 200
MAX_CHOSEN = 26


class AttemptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID | None = Field(
        default=None, description="client-made attempt id; resending it returns the first result"
    )
    answers: dict[Id, Annotated[list[Id], Field(max_length=MAX_CHOSEN)]] = Field(max_length=MAX_QUESTIONS)


class QuestionResultOut(BaseModel):
    id: str
    correct: bool
    explanation: str | None


class AttemptOut(BaseModel):
    id: uuid.UUID
    course: str
    quiz: str
    quiz_hash: str
    score: int
    max_score: int
    passed: bool
    questions: list[QuestionResultOut]
    submitted_at: datetime
    course_completed: bool = False
    certificate: str | None = None  # the code, when this attempt completed the course
