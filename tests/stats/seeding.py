"""Seeding learners the way the progress code does: raw rows, then the rollups moved by the difference."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from app.learners import service as learner_service
from app.learners.models import Learner
from app.progress.models import Enrolment
from app.stats import rollups

LAUNCH = datetime(2026, 5, 1, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam
_serial = itertools.count()


def enrol(
    session, *, learner_key: str, commune: str, course: str, started_at=LAUNCH, completed_at=None, shards: int = 4
) -> None:
    """Create the learner if needed, start (and maybe complete) a course, move the rollups."""
    learner = session.get(Learner, learner_key)
    if learner is None:
        session.add(Learner(key=learner_key, commune=commune, created_at=started_at))
        session.flush()
        commune_now = commune
    else:
        commune_now = learner.commune
    before = learner_service.contribution_of(session, learner_key=learner_key, commune=commune_now)
    enrolment = session.get(Enrolment, (learner_key, course)) or Enrolment(
        learner_key=learner_key, course_slug=course, started_at=started_at
    )
    if completed_at is not None and enrolment.completed_at is None:
        enrolment.completed_at = completed_at
    session.add(enrolment)
    session.flush()
    after = learner_service.contribution_of(session, learner_key=learner_key, commune=commune_now)
    rollups.apply(session, rollups.difference(after, before), shards=shards)
    session.flush()


def new_key() -> str:
    return f"{next(_serial):064x}"
