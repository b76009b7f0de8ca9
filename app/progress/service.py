"""Offline-safe progress: idempotent event batches, furthest-state merging, completion, resume, erasure."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import BindParameter, Integer, String, bindparam, cast, delete, func, literal, null, union_all, update
from sqlalchemy import select as core_select  # typed for any number of columns (sqlmodel's select: up to 4)
from sqlmodel import Session, col, select

from app.catalogue.service import Catalogue, CourseView
from app.certificates import service as certificate_service
from app.certificates.issuer import CertificateIssuer
from app.config import Settings
from app.db import Writes, inserting, table_of, utcnow
from app.errors import AppError
from app.progress.models import Enrolment, LessonCompletion, ProgressEvent
from app.progress.schemas import CourseProgressOut, EventIn, ProgressOut
from app.quizzes import service as quiz_service

LESSON_COMPLETED = "lesson_completed"
ASSUMED_LESSON_MINUTES = 3  # for a lesson whose author gave no `minutes`


class EventQuota(AppError):
    """A learner's stored events are capped (MAX_EVENTS_PER_LEARNER); waiting does not free the quota."""

    status, code = 429, "event_quota"


@dataclass(frozen=True)
class EnrolmentRow:
    """One enrolment as read or written by a batch (plain values, no ORM object)."""

    course: str
    started_at: datetime
    completed_at: datetime | None = None
    flagged: bool = False
    witnessed_at: datetime | None = None  # server time: the earliest moment the server saw the learner at it

    def counted(self) -> tuple[str, datetime | None, bool]:
        """What the statistics count of it: (course, completed_at, flagged)."""
        return self.course, self.completed_at, self.flagged


@dataclass
class LearnerState:
    """What a write needs to know about one learner, read in one round trip (`read_state`)."""

    enrolments: dict[str, EnrolmentRow]  # every course the learner started
    lessons: dict[str, dict[str, datetime]]  # lesson slug -> first completion, for the courses asked about
    seen: set[uuid.UUID]  # which of the asked event ids are stored already
    stored_events: int  # how many event ids the learner has stored


@dataclass
class Recorded:
    """A batch's outcome, and the learner's enrolments before and after it (for the statistics)."""

    plan: BatchPlan
    before: list[EnrolmentRow]
    after: list[EnrolmentRow]


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


@dataclass(frozen=True)
class Rules:
    """How much the service believes a device's clock and a learner's speed (from the settings)."""

    clock_tolerance: timedelta = timedelta(minutes=5)
    min_share_of_minutes: float = 0.25  # a completion faster than this share of the lessons' minutes is flagged

    @classmethod
    def from_settings(cls, settings: Settings) -> Rules:
        return cls(timedelta(seconds=settings.event_clock_tolerance_seconds), settings.completion_min_share)


def utc_time(moment: datetime) -> datetime | None:
    """The moment in UTC (naive means UTC), or None when it cannot be one (year 1 at +07:00, year 9999 at -07:00)."""
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:
        return None


def plan_batch(
    events: Iterable[EventIn],
    *,
    seen: set[uuid.UUID],
    catalogue: Catalogue,
    done: dict[str, set[str]],
    now: datetime,
    rules: Rules = Rules(),
) -> BatchPlan:
    """Pure: decide each event (accept, duplicate, reject), in order of `at`, against what is done."""
    plan = BatchPlan()
    done = {course: set(lessons) for course, lessons in done.items()}
    seen = set(seen)
    timed = [(event, utc_time(event.at)) for event in events]
    for event, at in sorted(timed, key=lambda pair: pair[1] or now):
        if event.id in seen:
            plan.duplicates += 1
            continue
        reason = _rejection(event, at, catalogue, done, now=now, rules=rules)
        if reason:
            plan.rejected.append((event.id, reason))
            continue
        assert at is not None and event.lesson is not None  # _rejection refuses an event without either
        seen.add(event.id)
        done.setdefault(event.course, set()).add(event.lesson)
        plan.accepted.append((event, min(at, now)))
    return plan


def _rejection(
    event: EventIn, at: datetime | None, catalogue: Catalogue, done: dict[str, set[str]], *, now: datetime, rules: Rules
) -> str | None:
    if event.type != LESSON_COMPLETED:
        return "unsupported_type"
    course = catalogue.courses.get(event.course)
    if course is None:
        return "unknown_course"
    if event.lesson is None or event.lesson not in course.lessons:
        return "unknown_lesson"
    if at is None or at > now + rules.clock_tolerance:
        return "in_future" if at is not None or event.at.year > 1 else "before_publication"
    if course.first_published_at is not None and at < course.first_published_at - rules.clock_tolerance:
        return "before_publication"
    if course.sequential:
        completed = done.get(course.slug, set())
        for earlier in course.lesson_order:
            if earlier == event.lesson:
                break
            if earlier not in completed:
                return "locked"
    return None


@lru_cache(maxsize=1)
def _state_query():
    """The UNION ALL behind `read_state`, built once (bound: key, courses, ids; empty lists match nothing)."""
    e, c, p = table_of(Enrolment).c, table_of(LessonCompletion).c, table_of(ProgressEvent).c  # run as Core
    key: BindParameter[str] = bindparam("key")
    return union_all(
        core_select(
            literal("e").label("kind"),
            e.course_slug.label("course"),
            cast(null(), String).label("item"),
            e.started_at.label("first"),
            e.completed_at.label("second"),
            e.flagged.label("flag"),
            cast(null(), Integer).label("n"),
            e.witnessed_at.label("third"),
        ).where(e.learner_key == key),
        core_select(literal("n"), null(), null(), null(), null(), null(), func.count(), null()).where(
            p.learner_key == key
        ),
        core_select(literal("c"), c.course_slug, c.lesson_slug, c.completed_at, null(), null(), null(), null()).where(
            c.learner_key == key, c.course_slug.in_(bindparam("courses", expanding=True))
        ),
        core_select(literal("s"), null(), cast(p.event_id, String), null(), null(), null(), null(), null()).where(
            p.learner_key == key, p.event_id.in_(bindparam("ids", expanding=True))
        ),
    )


def read_state(
    session: Session, *, learner_key: str, course_slugs: list[str], event_ids: list[uuid.UUID]
) -> LearnerState:
    """The learner's enrolments, lesson completions in `course_slugs`, which of `event_ids` are stored, and how
    many events are stored: one UNION ALL of primary-key range reads, one round trip."""
    state = LearnerState(enrolments={}, lessons={}, seen=set(), stored_events=0)
    params = {"key": learner_key, "courses": list(course_slugs), "ids": list(event_ids)}
    for kind, course, item, first, second, flag, n, third in session.connection().execute(_state_query(), params):
        if kind == "e":
            state.enrolments[course] = EnrolmentRow(course, first, second, bool(flag), third)
        elif kind == "c":
            state.lessons.setdefault(course, {})[item] = first
        elif kind == "s":
            state.seen.add(uuid.UUID(item))
        else:
            state.stored_events = n
    return state


def course_states(
    session: Session, *, learner_key: str, course_slugs: list[str] | None = None
) -> dict[str, CourseState]:
    """Lessons done, quizzes passed and enrolment per course, in three indexed queries (for reading progress)."""
    states: dict[str, CourseState] = {}

    def state(slug: str) -> CourseState:
        return states.setdefault(slug, CourseState())

    lessons = select(LessonCompletion).where(LessonCompletion.learner_key == learner_key)
    enrolments = select(Enrolment).where(Enrolment.learner_key == learner_key)
    if course_slugs is not None:
        lessons = lessons.where(col(LessonCompletion.course_slug).in_(course_slugs))
        enrolments = enrolments.where(col(Enrolment.course_slug).in_(course_slugs))
    for row in session.exec(lessons):
        state(row.course_slug).lessons[row.lesson_slug] = row.completed_at
    passes = quiz_service.first_passes(session, learner_key=learner_key, course_slugs=course_slugs)
    for (course_slug, quiz_slug), first_pass in passes.items():
        state(course_slug).quizzes[quiz_slug] = first_pass
    for enrolment in session.exec(enrolments):
        state(enrolment.course_slug).enrolment = enrolment
    return states


def enrol(
    session: Session,
    *,
    learner_key: str,
    course_slug: str,
    at: datetime,
    known: EnrolmentRow | None,
    witnessed: datetime,
    writes: Writes | None = None,
) -> EnrolmentRow:
    """The learner has started the course (the earliest known moment is kept); `known` is the stored row.
    `at` is what the device says; `witnessed` a server time at which the learner was at the course (an
    arrival, or the issue of the form an attempt answers): the earliest of each is kept.
    A new enrolment goes with `writes` when given."""
    table = table_of(Enrolment)
    if known is None:
        row = {
            "learner_key": learner_key,
            "course_slug": course_slug,
            "started_at": at,
            "flagged": False,
            "witnessed_at": witnessed,
        }
        if writes is None:
            session.connection().execute(inserting(Enrolment), [row])
        else:
            writes.add(inserting(Enrolment), [row])
        return EnrolmentRow(course_slug, at, witnessed_at=witnessed)
    changes: dict[str, Any] = {}  # column -> new value: for the UPDATE and for the row returned
    if at < known.started_at:
        changes["started_at"] = at
    if known.witnessed_at is not None and witnessed < known.witnessed_at:
        changes["witnessed_at"] = witnessed  # (an enrolment from before the column stays unknown: never flagged)
    if changes:
        session.execute(
            update(table)
            .where(table.c.learner_key == learner_key, table.c.course_slug == course_slug)
            .values(**changes)
        )
        return replace(known, **changes)
    return known


def remaining(course: CourseView, state: CourseState) -> tuple[list[str], list[str]]:
    """(lessons not done, quizzes not passed) of the course's current version."""
    lessons = [slug for slug in course.lesson_order if slug not in state.lessons]
    quizzes = [m.quiz.slug for m in course.modules if m.quiz and m.quiz.slug not in state.quizzes]
    return lessons, quizzes


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


def settle(
    session: Session,
    *,
    learner_key: str,
    course: CourseView,
    lessons: Mapping[str, datetime],
    enrolment: EnrolmentRow,
    issuer: CertificateIssuer,
    now: datetime,
    rules: Rules = Rules(),
    writes: Writes | None = None,
) -> tuple[EnrolmentRow, str | None]:
    """Mark the course completed (flagged if implausibly fast) and issue its certificate once every lesson and
    quiz is done: the enrolment as it now is, and the certificate's code if this completed the course.
    `lessons` are the learner's completions in the course. Quiz passes are read only when every lesson is
    done, after the pending `writes` are sent (they may hold the passing attempt). Certificates say nothing
    about the flag."""
    if enrolment.completed_at is not None or any(slug not in lessons for slug in course.lesson_order):
        return enrolment, None
    if writes is not None:
        writes.send(session)  # an attempt that passed, or the enrolment row, may still be among them
    passes = quiz_service.first_passes(session, learner_key=learner_key, course_slugs=[course.slug])
    passed = [passes.get((course.slug, quiz)) for quiz in course.quizzes]
    quizzes = [first_pass for first_pass in passed if first_pass is not None]
    if len(quizzes) < len(passed):  # a quiz not passed yet
        return enrolment, None
    steps = [lessons[slug] for slug in course.lesson_order] + quizzes
    completed_at = max(min(max(steps, default=now), now), enrolment.started_at)
    flagged = implausibly_fast(course, lessons, rules) or unwitnessed(course, enrolment.witnessed_at, now, rules)
    table = table_of(Enrolment)
    session.execute(
        update(table)
        .where(table.c.learner_key == learner_key, table.c.course_slug == course.slug)
        .values(completed_at=completed_at, flagged=flagged)
    )
    certificate = certificate_service.issue(
        session, learner_key=learner_key, course=course, issued_at=now, issuer=issuer
    )
    return replace(enrolment, completed_at=completed_at, flagged=flagged), certificate.code


def record_events(
    session: Session,
    *,
    learner_key: str,
    catalogue: Catalogue,
    events: list[EventIn],
    issuer: CertificateIssuer,
    max_stored: int,
    writes: Writes,
    rules: Rules = Rules(),
) -> Recorded:
    """Apply a batch: resent ids change nothing, completions keep their earliest time.

    Set-based: one read of the learner's state; the new events, completions and enrolments are added to
    `writes` (sent together by the caller, with the statistics counters); a course completion and an older
    completion time are written where they change. No ORM objects. The caller holds the learner's lock.
    """
    now = utcnow()
    courses = sorted({e.course for e in events if e.course in catalogue.courses})
    state = read_state(session, learner_key=learner_key, course_slugs=courses, event_ids=[e.id for e in events])
    if state.stored_events + len(events) > max_stored:
        raise EventQuota(f"this learner has stored {state.stored_events} events, the most is {max_stored}")
    done = {slug: set(lessons) for slug, lessons in state.lessons.items()}
    plan = plan_batch(events, seen=state.seen, catalogue=catalogue, done=done, now=now, rules=rules)
    touched: dict[str, datetime] = {}
    earliest: dict[tuple[str, str], datetime] = {}
    for event, at in plan.accepted:
        assert event.lesson is not None  # plan_batch accepts only events naming a lesson
        key = (event.course, event.lesson)
        earliest[key] = min(at, earliest.get(key, at))
        touched[event.course] = min(at, touched.get(event.course, at))
    if plan.accepted:
        rows = [{"learner_key": learner_key, "event_id": event.id, "received_at": now} for event, _ in plan.accepted]
        writes.add(inserting(ProgressEvent), rows)
    completions = table_of(LessonCompletion)
    new = []
    for (course_slug, lesson_slug), at in sorted(earliest.items()):
        lessons = state.lessons.setdefault(course_slug, {})
        known = lessons.get(lesson_slug)
        if known is None:
            new.append(
                {"learner_key": learner_key, "course_slug": course_slug, "lesson_slug": lesson_slug, "completed_at": at}
            )
        elif at < known:  # an older offline event: the first completion time is kept
            session.execute(
                update(completions)
                .where(
                    completions.c.learner_key == learner_key,
                    completions.c.course_slug == course_slug,
                    completions.c.lesson_slug == lesson_slug,
                )
                .values(completed_at=at)
            )
        else:
            continue
        lessons[lesson_slug] = at
    writes.add(inserting(LessonCompletion), new)
    after = dict(state.enrolments)
    for course_slug, first_at in sorted(touched.items()):
        enrolment = enrol(
            session,
            learner_key=learner_key,
            course_slug=course_slug,
            at=first_at,
            known=after.get(course_slug),
            witnessed=now,  # the events of this batch arrived now
            writes=writes,
        )
        after[course_slug], _ = settle(
            session,
            learner_key=learner_key,
            course=catalogue.course(course_slug),
            lessons=state.lessons.get(course_slug, {}),
            enrolment=enrolment,
            issuer=issuer,
            now=now,
            rules=rules,
            writes=writes,
        )
    return Recorded(plan, before=list(state.enrolments.values()), after=list(after.values()))


def summary(session: Session, *, learner_key: str, catalogue: Catalogue) -> ProgressOut:
    """Per published course: what is done, what is next, and the certificate if any."""
    states = course_states(session, learner_key=learner_key)
    certificates = {c.course_slug: c.code for c in certificate_service.for_learner(session, learner_key=learner_key)}
    courses = []
    for course in catalogue.courses.values():
        state = states.get(course.slug, CourseState())
        lessons, quizzes = remaining(course, state)
        completed_at = state.enrolment.completed_at if state.enrolment else None
        courses.append(
            CourseProgressOut(
                course=course.slug,
                title=course.title,
                lessons_done=len(course.lessons) - len(lessons),
                lessons_total=len(course.lessons),
                quizzes_passed=len(course.quizzes) - len(quizzes),
                quizzes_total=len(course.quizzes),
                completed=completed_at is not None,
                completed_at=completed_at,
                next_lesson=lessons[0] if lessons else None,
                next_quiz=quizzes[0] if quizzes else None,
                certificate=certificates.get(course.slug),
            )
        )
    return ProgressOut(courses=courses)


def has_started(session: Session, *, learner_key: str, course_slug: str) -> bool:
    return session.get(Enrolment, (learner_key, course_slug)) is not None


def enrolments_of(session: Session, *, learner_key: str) -> list[tuple[str, datetime | None, bool]]:
    """(course, completed_at or None, flagged) for every course the learner started: their part of the statistics."""
    query = select(Enrolment.course_slug, Enrolment.completed_at, Enrolment.flagged).where(
        Enrolment.learner_key == learner_key
    )
    return list(session.exec(query).all())


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
