"""Recording a batch of progress events: resent ids change nothing, completions keep their earliest time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session

from app.catalogue.service import Catalogue
from app.certificates.issuer import CertificateIssuer
from app.db import Writes, inserting, table_of
from app.errors import AppError
from app.progress import completion
from app.progress.models import LessonCompletion, ProgressEvent
from app.progress.planning import BatchPlan, Rules, plan_batch
from app.progress.schemas import EventIn
from app.progress.state import EnrolmentRow, read_state
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
    """Apply a batch: one read of the learner's state, then every outcome decided in memory; the new events,
    completions and enrolments are added to `writes` (sent together by the caller, with the statistics
    counters); an older completion time, a changed enrolment and a certificate are written where they change.
    No ORM objects but the certificate. The caller holds the learner's lock."""
    courses = sorted({e.course for e in events if e.course in catalogue.courses})
    state = read_state(session, learner_key=learner_key, course_slugs=courses, event_ids=[e.id for e in events])
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
    if plan.accepted:
        rows = [{"learner_key": learner_key, "event_id": event.id, "received_at": now} for event, _ in plan.accepted]
        writes.add(inserting(ProgressEvent), rows)
    _complete_lessons(session, learner_key=learner_key, earliest=earliest, lessons=state.lessons, writes=writes)
    after = dict(state.enrolments)
    for course_slug, first_at in sorted(touched.items()):
        course = catalogue.course(course_slug)
        known = state.enrolments.get(course_slug)
        enrolment = completion.arrive(known, course_slug=course_slug, at=first_at, witnessed=now)
        lessons = state.lessons.get(course_slug, {})
        passes: dict[str, datetime] = {}  # read only when they decide a completion (a batch writes no attempt)
        if course.quizzes and completion.awaits_quizzes(course, enrolment, lessons):
            found = quiz_service.first_passes(session, learner_key=learner_key, course_slugs=[course_slug])
            passes = {quiz: first_pass for (_, quiz), first_pass in found.items()}
        after[course_slug], _ = completion.settle(
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
    return Recorded(plan, before=list(state.enrolments.values()), after=list(after.values()))


def _complete_lessons(
    session: Session,
    *,
    learner_key: str,
    earliest: dict[tuple[str, str], datetime],
    lessons: dict[str, dict[str, datetime]],
    writes: Writes,
) -> None:
    """A new completion goes with `writes`; an older one (an offline event) moves the stored time back.
    `lessons` (course -> lesson -> first completion) is brought up to date."""
    table = table_of(LessonCompletion)
    new = []
    for (course_slug, lesson_slug), at in sorted(earliest.items()):
        done = lessons.setdefault(course_slug, {})
        known = done.get(lesson_slug)
        if known is None:
            new.append(
                {"learner_key": learner_key, "course_slug": course_slug, "lesson_slug": lesson_slug, "completed_at": at}
            )
        elif at < known:
            session.execute(
                update(table)
                .where(
                    table.c.learner_key == learner_key,
                    table.c.course_slug == course_slug,
                    table.c.lesson_slug == lesson_slug,
                )
                .values(completed_at=at)
            )
        else:
            continue
        done[lesson_slug] = at
    writes.add(inserting(LessonCompletion), new)
