"""Request and response shapes of the statistics endpoints."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class CompletionRow(BaseModel):
    code: str
    name: str
    learners: int | None = Field(description="learners who started; null when withheld (small count)")
    completed: int | None
    completion_rate: float | None = Field(description="completed / learners")
    target: int | None = Field(description="adults in the locality (PUT /admin/targets)")
    coverage_rate: float | None = Field(description="completed / target")
    satisfaction: float | None = Field(description="mean stars (1-5), published from k ratings up")


class CompletionOut(BaseModel):
    course: str | None = Field(description="null: all courses, a learner counted once")
    level: str
    province: CompletionRow | None = Field(None, description="with level=commune: the province's own row")
    suppression_k: int
    rows: list[CompletionRow]
    total: CompletionRow


class SeriesRow(BaseModel):
    day: date
    completed: int | None = Field(description="new completions that day (Vietnam time)")
    running_total: int | None = Field(description="completions up to and including that day")


class TimeseriesOut(BaseModel):
    course: str | None
    province: str | None
    name: str
    suppression_k: int
    withheld: bool = Field(description="true when the whole series is withheld (its total is)")
    rows: list[SeriesRow]


class RatingIn(BaseModel):
    stars: int = Field(ge=1, le=5, strict=True)


class RatingOut(BaseModel):
    course: str
    stars: int
    rated_at: datetime


class TargetsOut(BaseModel):
    updated: int
    provinces: int
    communes: int
