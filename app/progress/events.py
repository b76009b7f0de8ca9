"""Recording a batch of progress events: resent ids change nothing, completions keep their earliest time."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session

from app.catalogue.service import Catalogue, CourseView
from app.certificates.issuer import CertificateIssuer
from app.db import Writes, inserting, table_of
from app.errors import AppError
from app.progress import completion
from app.progress.models import Enrolment, LessonCompletion, ProgressEvent
from app.progress.planning import BatchPlan, Rules, plan_batch
from app.progress.schemas import EventIn
from app.progress.state import EnrolmentRow, LearnerState, read_state
from app.quizzes import service as quiz_service


class EventQuota(AppError):
    """A learner's stored events are capped (MAX_EVENTS_PER_LEARNER); waiting does not free the quota."""

    status, code = 429, "event_quota"


@dataclass
class Recorded:
    """A batch's outcome, and the learner's enrolments before and after it (for the statistics)."""

    plan: BatchPlan
    before: list[EnrolmentRow]
    after: list[EnrolmentRow]


def asked(events: list[EventIn], catalogue: Catalogue) -> tuple[list[str], list[uuid.UUID]]:
    """What a batch's state read asks about: the known courses it names, and its event ids."""
    return sorted({e.course for e in events if e.course in catalogue.courses}), [e.id for e in events]


@dataclass
class Decided:
    """A batch decided against the learner's state in memory, before anything is written (`decide`)."""

    plan: BatchPlan
    state: LearnerState  # as read; its `lessons` brought up to date with the batch's completions
    events: list[dict]  # progress_event rows to insert
    new_lessons: list[dict]  # lesson_completion rows to insert
    earlier_lessons: list[tuple[str, str, datetime]]  # (course, lesson, time): a stored completion moved back
    arrivals: list[tuple[CourseView, EnrolmentRow | None, EnrolmentRow]]  # (course, as stored, as arrived)


def decide(
    state: LearnerState,
    *,
    learner_key: str,
    catalogue: Catalogue,
    events: list[EventIn],
    max_stored: int,
    now: datetime,
    rules: Rules = Rules(),
) -> Decided:
    """Every outcome of a batch but the courses' completions, from the learner's state alone (pure): which events
    are accepted, the lesson completions they add or move back, and each touched course's enrolment as the
    learner arrives at it (`completion.settle` then decides whether it completes)."""
    if state.stored_events + len(events) > max_stored:
        raise EventQuota(f"this learner has stored {state.stored_events} events, the most is {max_stored}")
    done = {slug: set(lessons) for slug, lessons in state.lessons.items()}
    plan = plan_batch(events, seen=state.seen, catalogue=catalogue, done=done, now=now, rules=rules)
    touched: dict[str, datetime] = {}  # course -> its earliest event in the batch
    earliest: dict[tuple[str, str], datetime] = {}  # (course, lesson) -> its earliest event in the batch
    for event, at in plan.accepted:
        assert event.lesson is not None  # plan_batch accepts only events naming a lesson
        key = (event.course, event.lesson)
        earliest[key] = min(at, earliest.get(key, at))
        touched[event.course] = min(at, touched.get(event.course, at))
    rows = [{"learner_key": learner_key, "event_id": event.id, "received_at": now} for event, _ in plan.accepted]
    decided = Decided(plan, state, rows, new_lessons=[], earlier_lessons=[], arrivals=[])
    for (course_slug, lesson_slug), at in sorted(earliest.items()):
        lessons = state.lessons.setdefault(course_slug, {})
        known = lessons.get(lesson_slug)
        if known is None:
            row = {"learner_key": learner_key, "course_slug": course_slug, "lesson_slug": lesson_slug}
            decided.new_lessons.append(row | {"completed_at": at})
        elif at < known:  # an offline event: the stored completion moves back to it
            decided.earlier_lessons.append((course_slug, lesson_slug, at))
        else:
            continue
        lessons[lesson_slug] = at
    for course_slug, first_at in sorted(touched.items()):
        known_enrolment = state.enrolments.get(course_slug)
        enrolment = completion.arrive(known_enrolment, course_slug=course_slug, at=first_at, witnessed=now)
        decided.arrivals.append((catalogue.course(course_slug), known_enrolment, enrolment))
    return decided


def inserts_only(decided: Decided, *, now: datetime, rules: Rules) -> list[EnrolmentRow] | None:
    """The new enrolments to insert when the batch only adds rows: it moves no stored completion back, changes no
    stored enrolment and completes no course (without reading a quiz pass). None when it does any of those: that
    batch needs `record_events`. `settle` would write exactly these rows for it (tests/learners/test_direct.py)."""
    if decided.earlier_lessons:
        return None
    new = []
    for course, known, enrolment in decided.arrivals:
        lessons = decided.state.lessons.get(course.slug, {})
        if course.quizzes and completion.awaits_quizzes(course, enrolment, lessons):
            return None  # the quiz passes decide it
        settled = completion.complete(course, enrolment, lessons=lessons, passes={}, now=now, rules=rules)
        if settled.completed_at is not None and enrolment.completed_at is None:
            return None  # completed now: a certificate is issued
        if known is not None:
            if settled != known:
                return None  # an UPDATE of the stored enrolment
            continue
        new.append(settled)
    return new


def add_rows(writes: Writes, decided: Decided, *, learner_key: str, enrolments: list[EnrolmentRow]) -> None:
    """The batch's new rows added to `writes`: its accepted events, its new lesson completions and `enrolments`."""
    writes.add(inserting(ProgressEvent), decided.events)
    writes.add(inserting(LessonCompletion), decided.new_lessons)
    writes.add(inserting(Enrolment), [completion.new_row(learner_key, enrolment) for enrolment in enrolments])


def record_events(
    session: Session,
    *,
    learner_key: str,
    catalogue: Catalogue,
    events: list[EventIn],
    issuer: CertificateIssuer,
    max_stored: int,
    writes: Writes,
    now: datetime,
    rules: Rules = Rules(),
) -> Recorded:
    """Apply a batch: one read of the learner's state, then every outcome decided in memory (`decide`); the new
    events, completions and enrolments are added to `writes` (sent together by the caller, with the statistics
    counters); an older completion time, a changed enrolment and a certificate are written where they change.
    No ORM objects but the certificate. The caller holds the learner's lock."""
    courses, ids = asked(events, catalogue)
    state = read_state(session, learner_key=learner_key, course_slugs=courses, event_ids=ids)
    before = list(state.enrolments.values())
    decided = decide(
        state, learner_key=learner_key, catalogue=catalogue, events=events, max_stored=max_stored, now=now, rules=rules
    )
    add_rows(writes, decided, learner_key=learner_key, enrolments=[])  # settle adds the new enrolments
    table = table_of(LessonCompletion)
    for course_slug, lesson_slug, at in decided.earlier_lessons:
        session.execute(
            update(table)
            .where(
                table.c.learner_key == learner_key,
                table.c.course_slug == course_slug,
                table.c.lesson_slug == lesson_slug,
            )
            .values(completed_at=at)
        )
    after = dict(state.enrolments)
    for course, known, enrolment in decided.arrivals:
        lessons = state.lessons.get(course.slug, {})
        passes: dict[str, datetime] = {}  # read only when they decide a completion (a batch writes no attempt)
        if course.quizzes and completion.awaits_quizzes(course, enrolment, lessons):
            found = quiz_service.first_passes(session, learner_key=learner_key, course_slugs=[course.slug])
            passes = {quiz: first_pass for (_, quiz), first_pass in found.items()}
        after[course.slug], _ = completion.settle(
            session,
            learner_key=learner_key,
            course=course,
            known=known,
            enrolment=enrolment,
            lessons=lessons,
            passes=passes,
            issuer=issuer,
            now=now,
            rules=rules,
            writes=writes,
        )
    return Recorded(decided.plan, before=before, after=list(after.values()))
