"""What the other domains ask of a learner's progress rows: whether a course was started, the enrolments the
statistics count, and erasure.

The progress domain by job: planning.py decides a batch (pure), state.py reads what a write needs in one round
trip, completion.py decides and writes enrolments and completions, events.py records a batch, summary.py is the
learner's own view (GET /me/progress).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from app.progress.models import Enrolment, LessonCompletion, ProgressEvent
from app.progress.state import Counted


def has_started(session: Session, *, learner_key: str, course_slug: str) -> bool:
    return session.get(Enrolment, (learner_key, course_slug)) is not None


def enrolments_of(session: Session, *, learner_key: str) -> list[Counted]:
    """Every course the learner started, as the statistics count it: their part of the statistics."""
    query = select(Enrolment.course_slug, Enrolment.completed_at, Enrolment.flagged).where(
        Enrolment.learner_key == learner_key
    )
    return [Counted(*row) for row in session.exec(query)]


def all_enrolments(session: Session, *, batch: int) -> Iterator[tuple[str, str, datetime | None, bool]]:
    """(learner, course, completed_at, flagged) of every learner, by learner, streamed (for `stats rebuild`)."""
    query = select(Enrolment.learner_key, Enrolment.course_slug, Enrolment.completed_at, Enrolment.flagged).order_by(
        Enrolment.learner_key, Enrolment.course_slug
    )
    yield from session.execute(query.execution_options(yield_per=batch))


def learners_on(session: Session, *, course_slug: str, lessons: list[str]) -> int:
    """How many learners have completed any of these lessons of the course (an author's diff: who a removed
    lesson slug would leave with progress on nothing)."""
    if not lessons:
        return 0
    query = select(func.count(func.distinct(LessonCompletion.learner_key))).where(
        LessonCompletion.course_slug == course_slug, col(LessonCompletion.lesson_slug).in_(lessons)
    )
    return int(session.exec(query).one())


def forget(session: Session, *, learner_key: str) -> None:
    """Erasure: the learner's events, lesson completions and enrolments are deleted."""
    for table in (ProgressEvent, LessonCompletion, Enrolment):
        session.execute(delete(table).where(col(table.learner_key) == learner_key))
