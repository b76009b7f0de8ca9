"""Quiz forms, attempts and replies."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from typing_extensions import TypeAliasType

Id = Annotated[str, StringConstraints(min_length=1, max_length=64)]
# What a reply reveals before the quiz is passed (the `review` front matter; app/catalogue/frontmatter.py).
Review = TypeAliasType("Review", Literal["hints", "score", "full"])
MAX_QUESTIONS = 200
MAX_CHOSEN = 26
MAX_FORM = 4096


class OptionOut(BaseModel):
    id: str = Field(description="opaque; valid on this form only (differs per learner, per form, in the preview)")
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
    review: Review = Field(description="what a reply reveals before the quiz is passed")
    form: str | None = Field(description="send it back with the attempt; null in an anonymous preview")
    questions: list[QuestionOut]


class AttemptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID = Field(
        description="client-made attempt id (a UUID made once per attempt and kept until the reply arrives); "
        "resending it returns the first result instead of using up another form"
    )
    form: Annotated[str, StringConstraints(min_length=1, max_length=MAX_FORM)] = Field(
        description="the form from GET .../quizzes/{quiz} (with a learner token)"
    )
    answers: dict[Id, Annotated[list[Id], Field(max_length=MAX_CHOSEN)]] = Field(max_length=MAX_QUESTIONS)


class QuestionResultOut(BaseModel):
    id: str
    correct: bool | None = Field(description="null before the quiz is passed (review: hints)")
    hint: str | None = Field(None, description="before the quiz is passed, every question: a pointer to the lesson")
    explanation: str | None = Field(None, description="once the quiz is passed (or with review: full)")
    right_options: list[str] | None = Field(None, description="once the quiz is passed (or with review: full)")


class AttemptOut(BaseModel):
    id: uuid.UUID
    course: str
    quiz: str
    quiz_hash: str
    score: int | None = Field(description="null before the quiz is passed (review: hints)")
    max_score: int
    passed: bool
    review: Review = Field(description="what this reply reveals")
    questions: list[QuestionResultOut]
    submitted_at: datetime
    course_completed: bool = False
    certificate: str | None = None  # the code, when this attempt completed the course
