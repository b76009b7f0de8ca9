"""Statistics: live rollup counters (exact, current) and the releases published from them.

Counters are split over `shard` rows (chosen at random per transaction) so that concurrent completions
in one commune do not queue behind a single row lock on PostgreSQL; reads sum the shards.
course_slug '*' holds the all-courses figures, where a learner counts once. Each count has a `_key`
twin: the sum of its contributors' record keys, from which a release derives the cell key that decides
the cell's perturbation (see app/stats/cellkey.py).

Only releases are published: `stats_release` with its cells (`stats_release_cell`) and daily series
(`stats_release_day`), computed at scheduled times from the counters through the continual-release
streams of `stats_stream` (app/stats/continual.py; private: exact partial sums beside the noised ones).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from app.db import UtcDateTime

ALL_COURSES = "*"
# The summed columns of CompletionRollup: counts, then the record-key sums of their contributors.
COUNTS = ("learners", "completed", "flagged", "ratings", "stars")
KEY_SUMS = ("learners_key", "completed_key", "flagged_key", "ratings_key")
COUNTER_FIELDS = COUNTS + KEY_SUMS
DAILY_FIELDS = ("completed", "completed_key")


def _key_sum() -> int:
    return Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))


class CompletionRollup(SQLModel, table=True):
    __tablename__ = "completion_rollup"

    course_slug: str = Field(primary_key=True, max_length=64)
    commune: str = Field(primary_key=True, max_length=5)
    shard: int = Field(primary_key=True)
    learners: int = 0  # started
    completed: int = 0
    flagged: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    ratings: int = 0
    stars: int = 0  # sum of stars over `ratings`
    learners_key: int = _key_sum()
    completed_key: int = _key_sum()
    flagged_key: int = _key_sum()
    ratings_key: int = _key_sum()


class CompletionDaily(SQLModel, table=True):
    __tablename__ = "completion_daily"

    course_slug: str = Field(primary_key=True, max_length=64)
    commune: str = Field(primary_key=True, max_length=5)
    day: date = Field(primary_key=True)
    shard: int = Field(primary_key=True)
    completed: int = 0
    completed_key: int = _key_sum()


class Rating(SQLModel, table=True):
    __tablename__ = "rating"

    learner_key: str = Field(foreign_key="learner.key", primary_key=True, max_length=64)
    course_slug: str = Field(primary_key=True, max_length=64)
    stars: int  # the learner's rating as they gave it last
    # What the statistics count: `stars` until the learner has changed it STATS_COUNTED_RATING_CHANGES times
    # (app/stats/privacy.py bounds what one learner can change); later changes are kept but not counted.
    counted_stars: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))  # None: `stars`
    changes: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    rated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class LocalityTarget(SQLModel, table=True):
    """Adult population per province (2 digits) or commune (5 digits): the coverage denominator."""

    __tablename__ = "locality_target"

    code: str = Field(primary_key=True, max_length=5)
    adults: int = Field(sa_column=Column(BigInteger, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))


class StatsRelease(SQLModel, table=True):
    """One publication of every statistics table, computed at once from the counters."""

    __tablename__ = "stats_release"

    id: int | None = Field(default=None, primary_key=True)
    slot: str = Field(max_length=64, unique=True)  # the scheduled time it stands for, or "manual-..."
    as_of: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))  # counters read at this moment
    method: dict = Field(sa_column=Column(JSON, nullable=False))  # the protection parameters used


class ReleaseCell(SQLModel, table=True):
    """A published row: the nation, a province or a commune, for one course (or '*'); None = withheld."""

    __tablename__ = "stats_release_cell"

    release_id: int = Field(
        sa_column=Column(Integer, ForeignKey("stats_release.id", ondelete="CASCADE"), primary_key=True)
    )
    course_slug: str = Field(primary_key=True, max_length=64)
    code: str = Field(primary_key=True, max_length=8)  # "national", 2-digit province, 5-digit commune
    parent: str = Field(max_length=8)  # "" for the nation, "national" for provinces, the province for communes
    learners: int | None = None
    completed: int | None = None
    flagged: int | None = None
    satisfaction: float | None = None
    # 95% margins (edition 2; None in releases of the first edition and for withheld figures)
    learners_margin: int | None = None
    completed_margin: int | None = None
    flagged_margin: int | None = None
    ratings: int | None = None  # the published number of ratings behind `satisfaction`
    satisfaction_margin: float | None = None


class ReleaseDay(SQLModel, table=True):
    """A published day of a series (nation or province, one course or '*')."""

    __tablename__ = "stats_release_day"

    release_id: int = Field(
        sa_column=Column(Integer, ForeignKey("stats_release.id", ondelete="CASCADE"), primary_key=True)
    )
    course_slug: str = Field(primary_key=True, max_length=64)
    area: str = Field(primary_key=True, max_length=8)  # "national" or a province code
    day: date = Field(primary_key=True)
    completed: int | None = None
    running_total: int | None = None
    completed_margin: int | None = None  # 95% margins (edition 2)
    running_total_margin: int | None = None
    step: int | None = None  # the release step that published this day (edition 2)


class StatsStream(SQLModel, table=True):
    """The state of one family of continual-release streams (private, never published): per locality code,
    [true total at the last step, exact partial sums by level..., noised partial sums by level...]."""

    __tablename__ = "stats_stream"

    family: str = Field(primary_key=True, max_length=96)  # level/course/measure
    step: int  # the last release step fed
    state: dict = Field(sa_column=Column(JSON, nullable=False))
