"""Request and response shapes of the statistics endpoints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from typing_extensions import TypeAliasType

Level = TypeAliasType("Level", Literal["province", "commune"])  # the rows of a completion table
RowLevel = TypeAliasType("RowLevel", Literal["commune", "province", "national"])


class ReleaseOut(BaseModel):
    id: int = Field(description="the release these figures come from (?release=N reads a kept one)")
    as_of: datetime = Field(description="the moment the counters were read, Vietnam time (+07:00)")
    edition: int = Field(description="the method's edition: 2 is continual release with margins")
    method: dict = Field(description="the protection parameters and the privacy guarantee (docs/statistics.md)")


class ReleasesOut(BaseModel):
    releases: list[ReleaseOut] = Field(description="every kept release, newest first")


class CompletionRow(BaseModel):
    """One locality's published figures; see the data dictionary in docs/statistics.md. None = withheld."""

    level: RowLevel
    code: str = Field(description="5-digit commune, 2-digit province, or 'national'")
    name: str
    learners: int | None = Field(description="learners who started (noisy); null when withheld")
    learners_margin: int | None = Field(description="95% margin of learners (±)")
    completed: int | None = Field(description="learners who completed (noisy, ≤ learners)")
    completed_margin: int | None = Field(description="95% margin of completed (±)")
    completion_rate: float | None = Field(description="completed / learners, 4 significant digits")
    completion_rate_margin: float | None = Field(description="95% margin of completion_rate (±)")
    target: int | None = Field(description="adults in the locality (PUT /admin/targets)")
    target_communes: int | None = Field(description="province rows: how many of its communes have a target")
    communes: int | None = Field(description="province rows: how many communes it has")
    coverage_rate: float | None = Field(description="completed / target, 4 significant digits")
    coverage_rate_margin: float | None = Field(description="95% margin of coverage_rate (±)")
    flagged: int | None = Field(description="completions flagged as implausibly fast (province and nation only)")
    flagged_margin: int | None = Field(description="95% margin of flagged (±)")
    ratings: int | None = Field(description="ratings behind satisfaction (noisy; province and nation only)")
    satisfaction: float | None = Field(description="mean stars (1-5) to one decimal, with enough ratings")
    satisfaction_margin: float | None = Field(description="95% margin of satisfaction (±)")


class CompletionOut(BaseModel):
    release: ReleaseOut
    course: str | None = Field(description="null: all courses, a learner counted once")
    level: Level
    province: CompletionRow | None = Field(None, description="with level=commune: the province's own row")
    suppression_k: int
    rows: list[CompletionRow]
    total: CompletionRow


class SeriesRow(BaseModel):
    day: date = Field(description="a Vietnam day on which a release was published")
    completed: int | None = Field(description="change of the running total since the last published day")
    completed_margin: int | None = Field(description="95% margin of completed (±)")
    running_total: int | None = Field(description="completions counted at that day's release (noisy)")
    running_total_margin: int | None = Field(description="95% margin of running_total (±)")


class TimeseriesOut(BaseModel):
    release: ReleaseOut
    course: str | None
    level: RowLevel
    code: str = Field(description="'national' or the 2-digit province")
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
