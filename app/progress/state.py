"""What a progress write needs to know about one learner, read in one round trip."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple, overload

from sqlalchemy import BindParameter, Boolean, Integer, String, Uuid, bindparam, cast, func, union_all
from sqlmodel import Session

from app.db import UtcDateTime, one_of, table_of, tagged
from app.progress.models import Enrolment, LessonCompletion, ProgressEvent


class Counted(NamedTuple):
    """What the statistics count of one enrolment (`rollups.contribution` takes these)."""

    course: str
    completed_at: datetime | None
    flagged: bool


@dataclass(frozen=True)
class EnrolmentRow:
    """One enrolment as read or written by a write (plain values, no ORM object)."""

    course: str
    started_at: datetime
    completed_at: datetime | None = None
    flagged: bool = False
    witnessed_at: datetime | None = None  # server time: the earliest moment the server saw the learner at it

    def counted(self) -> Counted:
        return Counted(self.course, self.completed_at, self.flagged)


@dataclass
class LearnerState:
    """The learner's rows that a progress write reads (`read_state`)."""

    enrolments: dict[str, EnrolmentRow]  # every course the learner started
    lessons: dict[str, dict[str, datetime]]  # lesson slug -> first completion, for the courses asked about
    seen: set[uuid.UUID]  # which of the asked event ids are stored already
    stored_events: int  # how many event ids the learner has stored


# Each row of the state query says what it holds in `kind`; its other columns are NULL.
ENROLMENT = "enrolment"  # course, started_at, completed_at, flagged, witnessed_at
COMPLETION = "completion"  # course, lesson, completed_at
SEEN = "seen"  # event_id (as text)
STORED = "stored"  # stored_events
STATE_COLUMNS: dict[str, Any] = {
    "course": String,
    "lesson": String,
    "event_id": String,
    "started_at": UtcDateTime,
    "completed_at": UtcDateTime,
    "flagged": Boolean,
    "witnessed_at": UtcDateTime,
    "stored_events": Integer,
}


@lru_cache(maxsize=2)
def state_query(dialect: str):
    """The UNION ALL behind `read_state`, built once per dialect (bound: key, courses, ids; empty lists match
    nothing)."""
    e, c, p = table_of(Enrolment).c, table_of(LessonCompletion).c, table_of(ProgressEvent).c  # run as Core
    key: BindParameter[str] = bindparam("key")
    return union_all(
        tagged(
            ENROLMENT,
            STATE_COLUMNS,
            course=e.course_slug,
            started_at=e.started_at,
            completed_at=e.completed_at,
            flagged=e.flagged,
            witnessed_at=e.witnessed_at,
        ).where(e.learner_key == key),
        tagged(STORED, STATE_COLUMNS, stored_events=func.count()).where(p.learner_key == key),
        tagged(
            COMPLETION, STATE_COLUMNS, course=c.course_slug, lesson=c.lesson_slug, completed_at=c.completed_at
        ).where(c.learner_key == key, one_of(c.course_slug, "courses", String, dialect)),
        tagged(SEEN, STATE_COLUMNS, event_id=cast(p.event_id, String)).where(
            p.learner_key == key, one_of(p.event_id, "ids", Uuid, dialect)
        ),
    )


def read_state(
    session: Session, *, learner_key: str, course_slugs: list[str], event_ids: list[uuid.UUID]
) -> LearnerState:
    """The learner's enrolments, lesson completions in `course_slugs`, which of `event_ids` are stored, and how
    many events are stored: one UNION ALL of primary-key range reads, one round trip."""
    connection = session.connection()
    query = state_query(connection.dialect.name)
    return state_of(connection.execute(query, state_params(learner_key, course_slugs, event_ids)))


def state_params(learner_key: str, course_slugs: list[str], event_ids: list[uuid.UUID]) -> dict[str, Any]:
    return {"key": learner_key, "courses": list(course_slugs), "ids": list(event_ids)}


def state_of(rows: Iterable[Any]) -> LearnerState:
    """The state from the query's rows, read by column name (SQLAlchemy's rows, or psycopg's named tuples on the
    direct path, whose times come in the connection's time zone: made UTC here as `UtcDateTime` does)."""
    state = LearnerState(enrolments={}, lessons={}, seen=set(), stored_events=0)
    for row in rows:
        if row.kind == ENROLMENT:
            state.enrolments[row.course] = EnrolmentRow(
                row.course, _utc(row.started_at), _utc(row.completed_at), bool(row.flagged), _utc(row.witnessed_at)
            )
        elif row.kind == COMPLETION:
            state.lessons.setdefault(row.course, {})[row.lesson] = _utc(row.completed_at)
        elif row.kind == SEEN:
            state.seen.add(uuid.UUID(row.event_id))
        else:
            state.stored_events = row.stored_events
    return state


@overload
def _utc(moment: datetime) -> datetime: ...
@overload
def _utc(moment: None) -> None: ...
def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC)
