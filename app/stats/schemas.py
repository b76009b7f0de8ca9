"""Request and response shapes of the statistics endpoints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from typing_extensions import TypeAliasType

Level = TypeAliasType("Level", Literal["province", "commune"])  # the rows of a completion table


class ReleaseOut(BaseModel):
    id: int = Field(description="the release these figures come from")
    as_of: datetime = Field(description="the moment the counters were read")
    method: dict = Field(description="the protection parameters of this release (docs/statistics-disclosure.md)")


class CompletionRow(BaseModel):
    code: str
    name: str
    learners: int | None = Field(description="learners who started (perturbed); null when withheld")
    completed: int | None = Field(description="learners who completed (perturbed); null when withheld")
    flagged: int | None = Field(description="completions flagged as implausibly fast (perturbed); null when withheld")
    completion_rate: float | None = Field(description="published completed / published learners")
    target: int | None = Field(description="adults in the locality (PUT /admin/targets)")
    coverage_rate: float | None = Field(description="published completed / target")
    satisfaction: float | None = Field(description="mean stars (1-5) to one decimal, with enough ratings")


class CompletionOut(BaseModel):
    release: ReleaseOut
    course: str | None = Field(description="null: all courses, a learner counted once")
    level: Level
    province: CompletionRow | None = Field(None, description="with level=commune: the province's own row")
    suppression_k: int
    rows: list[CompletionRow]
    total: CompletionRow


class SeriesRow(BaseModel):
    day: date
    completed: int | None = Field(description="new completions that day (Vietnam time); null when withheld")
    running_total: int | None = Field(description="completions up to and including that day; null when withheld")


class TimeseriesOut(BaseModel):
    release: ReleaseOut
    course: str | None
    province: str | None
    name: str
    suppression_k: int
    rows: list[SeriesRow]


class RatingIn(BaseModel):
    stars: int = Field(ge=1, le=5, description="1 to 5; a whole number (3 and 3.0 alike), never text")

    @field_validator("stars", mode="before")
    @classmethod
    def _a_number(cls, value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("stars must be a whole number from 1 to 5")
        return value


class RatingOut(BaseModel):
    course: str
    stars: int
    rated_at: datetime


class TargetsOut(BaseModel):
    updated: int
    provinces: int
    communes: int
