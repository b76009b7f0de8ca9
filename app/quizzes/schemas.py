"""Quiz forms, attempts and replies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]
MAX_QUESTIONS = 200
MAX_CHOSEN = 26
MAX_FORM = 4096


class OptionOut(BaseModel):
    id: str = Field(description="opaque, stable for one quiz version")
    text: str


class QuestionOut(BaseModel):
    id: str
    text: str
    multiple: bool
    options: list[OptionOut]


class QuizFormOut(BaseModel):
    id: str
    course: str
    title: str
    pass_ratio: float
    content_hash: str
    ask: int = Field(description="questions asked per attempt")
    review: str = Field(description="hints | score | full: what a reply reveals before the quiz is passed")
    form: str | None = Field(description="send it back with the attempt; null in an anonymous preview")
    questions: list[QuestionOut]


class AttemptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID | None = Field(
        default=None, description="client-made attempt id; resending it returns the first result"
    )
    form: Annotated[str, StringConstraints(min_length=1, max_length=MAX_FORM)] = Field(
        description="the form from GET .../quizzes/{quiz} (with a learner token)"
    )
    answers: dict[Id, Annotated[list[Id], Field(max_length=MAX_CHOSEN)]] = Field(max_length=MAX_QUESTIONS)


class QuestionResultOut(BaseModel):
    id: str
    correct: bool
    hint: str | None = Field(None, description="before the quiz is passed: a pointer back to the lesson")
    explanation: str | None = Field(None, description="once the quiz is passed (or with review: full)")
    right_options: list[str] | None = Field(None, description="once the quiz is passed (or with review: full)")


class AttemptOut(BaseModel):
    id: uuid.UUID
    course: str
    quiz: str
    quiz_hash: str
    score: int
    max_score: int
    passed: bool
    review: str = Field(description="hints | score | full: what this reply reveals")
    questions: list[QuestionResultOut]
    submitted_at: datetime
    course_completed: bool = False
    certificate: str | None = None  # the code, when this attempt completed the course
