"""Statistics rollups, kept current in the same transaction as the progress that moves them.

Counters are split over `shard` rows (chosen at random per update) so that concurrent completions
in one commune do not queue behind a single row lock on PostgreSQL; reads sum the shards.
course_slug '*' holds the all-courses figures, where a learner counts once.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column
from sqlmodel import Field, SQLModel

from app.db import UtcDateTime

ALL_COURSES = "*"
COUNTER_FIELDS = ("learners", "completed", "ratings", "stars")  # the summed columns of CompletionRollup


class CompletionRollup(SQLModel, table=True):
    __tablename__ = "completion_rollup"

    course_slug: str = Field(primary_key=True, max_length=64)
    commune: str = Field(primary_key=True, max_length=5)
    shard: int = Field(primary_key=True)
    learners: int = 0  # started
    completed: int = 0
    ratings: int = 0
    stars: int = 0  # sum of stars over `ratings`


class CompletionDaily(SQLModel, table=True):
    __tablename__ = "completion_daily"

    course_slug: str = Field(primary_key=True, max_length=64)
    commune: str = Field(primary_key=True, max_length=5)
    day: date = Field(primary_key=True)
    shard: int = Field(primary_key=True)
    completed: int = 0


class Rating(SQLModel, table=True):
    __tablename__ = "rating"

    learner_key: str = Field(foreign_key="learner.key", primary_key=True, max_length=64)
    course_slug: str = Field(primary_key=True, max_length=64)
    stars: int
    rated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class LocalityTarget(SQLModel, table=True):
    """Adult population per province (2 digits) or commune (5 digits): the coverage denominator."""

    __tablename__ = "locality_target"

    code: str = Field(primary_key=True, max_length=5)
    adults: int = Field(sa_column=Column(BigInteger, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
