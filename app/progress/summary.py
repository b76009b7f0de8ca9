"""A learner's progress as they read it: per course, what is done, what is next, the certificate."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from sqlalchemy import BindParameter, bindparam, union_all
from sqlmodel import Session

from app.catalogue.service import Catalogue, CourseView
from app.certificates import service as certificate_service
from app.db import table_of, tagged
from app.progress.models import Enrolment, LessonCompletion
from app.progress.schemas import CourseProgressOut, ProgressOut
from app.progress.state import COMPLETION, ENROLMENT, STATE_COLUMNS
from app.quizzes import service as quiz_service


@dataclass
class CourseState:
    """What one learner has done in one course, by slug (survives new content versions)."""

    lessons: dict[str, datetime] = field(default_factory=dict)  # lesson slug -> first completion
    quizzes: dict[str, datetime] = field(default_factory=dict)  # quiz slug -> first pass
    completed_at: datetime | None = None


@lru_cache(maxsize=1)
def _progress_query():
    """The learner's enrolments and lesson completions, every course: one UNION ALL, built once (bound: key)."""
    e, c = table_of(Enrolment).c, table_of(LessonCompletion).c  # run as Core: rows, not ORM objects
    key: BindParameter[str] = bindparam("key")
    return union_all(
        tagged(ENROLMENT, STATE_COLUMNS, course=e.course_slug, completed_at=e.completed_at).where(e.learner_key == key),
        tagged(
            COMPLETION, STATE_COLUMNS, course=c.course_slug, lesson=c.lesson_slug, completed_at=c.completed_at
        ).where(c.learner_key == key),
    )


def course_states(session: Session, *, learner_key: str) -> dict[str, CourseState]:
    """Lessons done, quizzes passed and completion per course: two indexed reads (for reading progress)."""
    states: dict[str, CourseState] = {}
    for row in session.connection().execute(_progress_query(), {"key": learner_key}):
        state = states.setdefault(row.course, CourseState())
        if row.kind == ENROLMENT:
            state.completed_at = row.completed_at
        else:
            state.lessons[row.lesson] = row.completed_at
    for (course_slug, quiz_slug), first_pass in quiz_service.first_passes(session, learner_key=learner_key).items():
        states.setdefault(course_slug, CourseState()).quizzes[quiz_slug] = first_pass
    return states


def remaining(course: CourseView, state: CourseState) -> tuple[list[str], list[str]]:
    """(lessons not done, quizzes not passed) of the course's current version."""
    lessons = [slug for slug in course.lesson_order if slug not in state.lessons]
    quizzes = [m.quiz.slug for m in course.modules if m.quiz and m.quiz.slug not in state.quizzes]
    return lessons, quizzes


def summary(session: Session, *, learner_key: str, catalogue: Catalogue) -> ProgressOut:
    """Per published course: what is done, what is next, and the certificate if any."""
    states = course_states(session, learner_key=learner_key)
    certificates = {c.course_slug: c.code for c in certificate_service.for_learner(session, learner_key=learner_key)}
    courses = []
    for course in catalogue.courses.values():
        state = states.get(course.slug, CourseState())
        lessons, quizzes = remaining(course, state)
        completed_at = state.completed_at
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
