"""Offline-safe progress: idempotent event batches, furthest-state merging, completion, resume, erasure."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import delete, func
from sqlmodel import Session, select

from app.catalogue.service import Catalogue, CourseView
from app.certificates import service as certificate_service
from app.certificates.models import Certificate
from app.certificates.signing import CertificateSigner
from app.db import utcnow
from app.progress.models import Enrolment, Learner, LessonCompletion, ProgressEvent
from app.progress.schemas import EventIn
from app.quizzes.models import QuizAttempt
from app.stats import rollups
from app.stats.models import Rating

LESSON_COMPLETED = "lesson_completed"


@dataclass
class CourseState:
    """What one learner has done in one course, by slug (survives new content versions)."""

    lessons: dict[str, datetime] = field(default_factory=dict)  # lesson slug -> first completion
    quizzes: dict[str, datetime] = field(default_factory=dict)  # quiz slug -> first pass
    enrolment: Enrolment | None = None


@dataclass
class BatchPlan:
    accepted: list[tuple[EventIn, datetime]] = field(default_factory=list)
    duplicates: int = 0
    rejected: list[tuple[uuid.UUID, str]] = field(default_factory=list)


def clamp(moment: datetime, now: datetime) -> datetime:
    """Client clocks can be wrong: naive means UTC, and nothing happens after now."""
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return min(moment, now)


def plan_batch(
    events: Iterable[EventIn], *, seen: set[uuid.UUID], catalogue: Catalogue, done: dict[str, set[str]], now: datetime
) -> BatchPlan:
    """Pure: decide each event (accept, duplicate, reject), in order of `at`, against what is done."""
    plan = BatchPlan()
    done = {course: set(lessons) for course, lessons in done.items()}
    seen = set(seen)
    for event in sorted(events, key=lambda e: clamp(e.at, now)):
        if event.id in seen:
            plan.duplicates += 1
            continue
        reason = _rejection(event, catalogue, done)
        if reason:
            plan.rejected.append((event.id, reason))
            continue
        seen.add(event.id)
        done.setdefault(event.course, set()).add(event.lesson)
        plan.accepted.append((event, clamp(event.at, now)))
    return plan


def _rejection(event: EventIn, catalogue: Catalogue, done: dict[str, set[str]]) -> str | None:
    if event.type != LESSON_COMPLETED:
        return "unsupported_type"
    course = catalogue.courses.get(event.course)
    if course is None:
        return "unknown_course"
    if event.lesson is None or event.lesson not in course.lessons:
        return "unknown_lesson"
    if course.sequential:
        completed = done.get(course.slug, set())
        for earlier in course.lesson_order:
            if earlier == event.lesson:
                break
            if earlier not in completed:
                return "locked"
    return None


def course_state(session: Session, *, learner_key: str, course_slug: str) -> CourseState:
    return course_states(session, learner_key=learner_key, course_slugs=[course_slug]).get(course_slug, CourseState())


def course_states(
    session: Session, *, learner_key: str, course_slugs: list[str] | None = None
) -> dict[str, CourseState]:
    """Lessons done, quizzes passed and enrolment per course, in three indexed queries."""
    states: dict[str, CourseState] = {}

    def state(slug: str) -> CourseState:
        return states.setdefault(slug, CourseState())

    lessons = select(LessonCompletion).where(LessonCompletion.learner_key == learner_key)
    passes = (
        select(QuizAttempt.course_slug, QuizAttempt.quiz_slug, func.min(QuizAttempt.submitted_at))
        .where(QuizAttempt.learner_key == learner_key, QuizAttempt.passed)
        .group_by(QuizAttempt.course_slug, QuizAttempt.quiz_slug)
    )
    enrolments = select(Enrolment).where(Enrolment.learner_key == learner_key)
    if course_slugs is not None:
        lessons = lessons.where(LessonCompletion.course_slug.in_(course_slugs))
        passes = passes.where(QuizAttempt.course_slug.in_(course_slugs))
        enrolments = enrolments.where(Enrolment.course_slug.in_(course_slugs))
    for row in session.exec(lessons):
        state(row.course_slug).lessons[row.lesson_slug] = row.completed_at
    for course_slug, quiz_slug, first_pass in session.exec(passes):
        state(course_slug).quizzes[quiz_slug] = first_pass
    for enrolment in session.exec(enrolments):
        state(enrolment.course_slug).enrolment = enrolment
    return states


def enrol(session: Session, *, learner_key: str, course_slug: str, at: datetime) -> Enrolment:
    """The learner has started the course (the earliest known moment is kept)."""
    enrolment = session.get(Enrolment, (learner_key, course_slug))
    if enrolment is None:
        enrolment = Enrolment(learner_key=learner_key, course_slug=course_slug, started_at=at)
    elif at < enrolment.started_at:
        enrolment.started_at = at
    session.add(enrolment)
    session.flush()
    return enrolment


def remaining(course: CourseView, state: CourseState) -> tuple[list[str], list[str]]:
    """(lessons not done, quizzes not passed) of the course's current version."""
    lessons = [slug for slug in course.lesson_order if slug not in state.lessons]
    quizzes = [m.quiz.slug for m in course.modules if m.quiz and m.quiz.slug not in state.quizzes]
    return lessons, quizzes


def settle(
    session: Session, *, learner_key: str, course: CourseView, signer: CertificateSigner, base_url: str, now: datetime
) -> Certificate | None:
    """Mark the course completed and issue its certificate once every lesson and quiz is done."""
    state = course_state(session, learner_key=learner_key, course_slug=course.slug)
    lessons, quizzes = remaining(course, state)
    if lessons or quizzes or state.enrolment is None or state.enrolment.completed_at is not None:
        return None
    steps = [state.lessons[s] for s in course.lesson_order] + [state.quizzes[q] for q in course.quizzes]
    completed_at = min(max(steps, default=now), now)
    state.enrolment.completed_at = max(completed_at, state.enrolment.started_at)
    session.add(state.enrolment)
    session.flush()
    return certificate_service.issue(
        session, learner_key=learner_key, course=course, issued_at=now, signer=signer, base_url=base_url
    )


def record_events(
    session: Session,
    *,
    learner: Learner,
    catalogue: Catalogue,
    events: list[EventIn],
    signer: CertificateSigner,
    base_url: str,
) -> BatchPlan:
    """Apply a batch: resent ids change nothing, completions keep their earliest time."""
    now = utcnow()
    ids = [event.id for event in events]
    seen = set(
        session.exec(
            select(ProgressEvent.event_id).where(
                ProgressEvent.learner_key == learner.key, ProgressEvent.event_id.in_(ids)
            )
        ).all()
    )
    courses = sorted({e.course for e in events if e.course in catalogue.courses})
    states = course_states(session, learner_key=learner.key, course_slugs=courses)
    plan = plan_batch(
        events, seen=seen, catalogue=catalogue, done={slug: set(s.lessons) for slug, s in states.items()}, now=now
    )
    touched: dict[str, datetime] = {}
    earliest: dict[tuple[str, str], datetime] = {}
    for event, at in plan.accepted:
        session.add(ProgressEvent(learner_key=learner.key, event_id=event.id, received_at=now))
        key = (event.course, event.lesson)
        earliest[key] = min(at, earliest.get(key, at))
        touched[event.course] = min(at, touched.get(event.course, at))
    for (course_slug, lesson_slug), at in earliest.items():
        known = states.get(course_slug, CourseState()).lessons.get(lesson_slug)
        if known is None:
            session.add(
                LessonCompletion(
                    learner_key=learner.key, course_slug=course_slug, lesson_slug=lesson_slug, completed_at=at
                )
            )
        elif at < known:  # an older offline event: the first completion time is kept
            session.get(LessonCompletion, (learner.key, course_slug, lesson_slug)).completed_at = at
    session.flush()
    for course_slug, first_at in sorted(touched.items()):
        enrol(session, learner_key=learner.key, course_slug=course_slug, at=first_at)
        settle(
            session,
            learner_key=learner.key,
            course=catalogue.course(course_slug),
            signer=signer,
            base_url=base_url,
            now=now,
        )
    return plan


def erase(session: Session, *, learner_key: str, shards: int) -> dict[str, int]:
    """Remove every row about the learner in the caller's transaction; certificates are revoked and unlinked."""
    learner = session.exec(select(Learner).where(Learner.key == learner_key).with_for_update()).first()
    if learner is None:
        return {"certificates_revoked": 0}
    before = rollups.learner_contribution(session, learner_key=learner_key, commune=learner.commune)
    rollups.apply(session, rollups.difference(Counter(), before), shards=shards)
    revoked = certificate_service.revoke_and_unlink(session, learner_key=learner_key, now=utcnow(), reason="erased")
    for table in (ProgressEvent, LessonCompletion, QuizAttempt, Enrolment, Rating):
        session.execute(delete(table).where(table.learner_key == learner_key))
    session.execute(delete(Learner).where(Learner.key == learner_key))
    session.flush()
    return {"certificates_revoked": revoked}
