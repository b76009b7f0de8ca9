"""What the other domains ask of a learner's progress rows: whether a course was started, the enrolments the
statistics count, and erasure.

The progress domain by job: planning.py decides a batch (pure), state.py reads what a write needs in one round
trip, completion.py decides and writes enrolments and completions, events.py records a batch, summary.py is the
learner's own view (GET /me/progress).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import delete
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


def forget(session: Session, *, learner_key: str) -> None:
    """Erasure: the learner's events, lesson completions and enrolments are deleted."""
    for table in (ProgressEvent, LessonCompletion, Enrolment):
        session.execute(delete(table).where(col(table.learner_key) == learner_key))
