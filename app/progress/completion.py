"""A learner's enrolment in a course: started (the earliest moment kept), completed once every lesson and quiz is
done (flagged when implausibly fast), decided in memory and written once per change."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session

from app.catalogue.service import CourseView
from app.certificates import service as certificate_service
from app.certificates.issuer import CertificateIssuer
from app.db import Writes, inserting, table_of
from app.progress.models import Enrolment
from app.progress.planning import Rules
from app.progress.state import EnrolmentRow

ASSUMED_LESSON_MINUTES = 3  # for a lesson whose author gave no `minutes`
WRITTEN = ("started_at", "completed_at", "flagged", "witnessed_at")  # what a change may set of an enrolment


def arrive(known: EnrolmentRow | None, *, course_slug: str, at: datetime, witnessed: datetime) -> EnrolmentRow:
    """The enrolment once the learner is seen at the course: `at` is what the device says, `witnessed` a server
    time at which the learner was at the course (an arrival, or the issue of the form an attempt answers); the
    earliest of each is kept. `known` is the stored row (None: a new enrolment)."""
    if known is None:
        return EnrolmentRow(course_slug, at, witnessed_at=witnessed)
    enrolment = known
    if at < known.started_at:
        enrolment = replace(enrolment, started_at=at)
    if known.witnessed_at is not None and witnessed < known.witnessed_at:
        # (an enrolment from before the column stays unknown: never flagged)
        enrolment = replace(enrolment, witnessed_at=witnessed)
    return enrolment


def least_time(course: CourseView, rules: Rules) -> timedelta:
    """The shortest plausible time from the first lesson's end to the course's end: a share of the minutes of
    every lesson after the first."""
    minutes = sum(course.lessons[slug].minutes or ASSUMED_LESSON_MINUTES for slug in course.lesson_order[1:])
    return timedelta(minutes=minutes * rules.min_share_of_minutes)


def implausibly_fast(course: CourseView, lessons: Mapping[str, datetime], rules: Rules) -> bool:
    """Were the lessons done faster than a share of their `minutes`? Judged from the completion times the
    device sent: the time from the first completion to the last must cover `least_time`."""
    times = sorted(lessons[slug] for slug in course.lesson_order if slug in lessons)
    return len(times) > 1 and (times[-1] - times[0]) < least_time(course, rules)


def unwitnessed(course: CourseView, witnessed_at: datetime | None, completed: datetime, rules: Rules) -> bool:
    """Did the server see the course done in less than `least_time`, whatever the device's clock says?

    From the earliest moment the server itself saw the learner at the course (the first arrival of an event
    or attempt, or the issue of a quiz form that an attempt answered) to the server time of completion.
    Only for courses with quizzes: an honest offline learner fetched the forms online when saving the
    course, days before syncing, and the attempts they answered offline carry those forms' issue times. A
    course without quizzes offers no such witness: its one-batch sync looks like a speed run and is judged
    by the device's times alone. Enrolments from before the server kept this time (None) are not judged."""
    if not course.quizzes or witnessed_at is None:
        return False
    return completed - witnessed_at < least_time(course, rules)


def awaits_quizzes(course: CourseView, enrolment: EnrolmentRow, lessons: Mapping[str, datetime]) -> bool:
    """Only the quiz passes can still decide a completion: every lesson done, the course not completed yet."""
    return enrolment.completed_at is None and all(slug in lessons for slug in course.lesson_order)


def complete(
    course: CourseView,
    enrolment: EnrolmentRow,
    *,
    lessons: Mapping[str, datetime],
    passes: Mapping[str, datetime],
    now: datetime,
    rules: Rules,
) -> EnrolmentRow:
    """The enrolment completed, and flagged if implausibly fast, once every lesson and quiz is done; else as it
    was. `lessons`: the learner's completions in the course; `passes`: quiz slug -> first pass."""
    if not awaits_quizzes(course, enrolment, lessons):
        return enrolment
    quizzes = [passes.get(quiz) for quiz in course.quizzes]
    if any(first_pass is None for first_pass in quizzes):
        return enrolment
    steps = [lessons[slug] for slug in course.lesson_order] + [q for q in quizzes if q is not None]
    completed_at = max(min(max(steps, default=now), now), enrolment.started_at)
    flagged = implausibly_fast(course, lessons, rules) or unwitnessed(course, enrolment.witnessed_at, now, rules)
    return replace(enrolment, completed_at=completed_at, flagged=flagged)


def new_row(learner_key: str, enrolment: EnrolmentRow) -> dict:
    """The enrolment table's row of a new enrolment."""
    return {"learner_key": learner_key, "course_slug": enrolment.course} | {n: getattr(enrolment, n) for n in WRITTEN}


def save(
    session: Session, *, learner_key: str, known: EnrolmentRow | None, enrolment: EnrolmentRow, writes: Writes
) -> None:
    """Write the enrolment once: a new one goes with `writes`, a changed one is one UPDATE of what changed."""
    if known is None:
        writes.add(inserting(Enrolment), [new_row(learner_key, enrolment)])
        return
    changes = {name: getattr(enrolment, name) for name in WRITTEN if getattr(enrolment, name) != getattr(known, name)}
    if changes:
        table = table_of(Enrolment)
        session.execute(
            update(table)
            .where(table.c.learner_key == learner_key, table.c.course_slug == enrolment.course)
            .values(**changes)
        )


def settle(
    session: Session,
    *,
    learner_key: str,
    course: CourseView,
    known: EnrolmentRow | None,
    enrolment: EnrolmentRow,
    lessons: Mapping[str, datetime],
    passes: Mapping[str, datetime],
    issuer: CertificateIssuer,
    now: datetime,
    rules: Rules,
    writes: Writes,
) -> tuple[EnrolmentRow, str | None]:
    """Decide whether the course is now completed, write the enrolment once (`known`: as stored, `enrolment`: as
    this change left it), and issue the certificate if this completed the course: the enrolment as it now is,
    and the certificate's code or None. Certificates say nothing about the flag."""
    settled = complete(course, enrolment, lessons=lessons, passes=passes, now=now, rules=rules)
    save(session, learner_key=learner_key, known=known, enrolment=settled, writes=writes)
    if settled.completed_at is None or enrolment.completed_at is not None:
        return settled, None
    certificate = certificate_service.issue(
        session, learner_key=learner_key, course=course, issued_at=now, issuer=issuer
    )
    return settled, certificate.code
