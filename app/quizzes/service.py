"""Quiz attempts: graded on the server, idempotent per client attempt id, recorded with the quiz hash.

This domain knows attempts only; what an attempt means for the course (enrolment, completion, a
certificate) is decided by the learner layer above it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import (
    BindParameter,
    Integer,
    String,
    bindparam,
    case,
    cast,
    delete,
    func,
    literal,
    null,
    union_all,
    update,
)
from sqlalchemy import select as core_select  # typed for any number of columns (sqlmodel's select: up to 4)
from sqlmodel import Session, col, select

from app.catalogue.service import QuizView
from app.db import Writes, inserting, table_of
from app.errors import Conflict
from app.quizzes.forms import hint
from app.quizzes.grading import Grade, grade
from app.quizzes.models import QuizAttempt
from app.quizzes.schemas import AttemptOut, QuestionResultOut


@dataclass(frozen=True)
class AttemptState:
    """What an attempt needs to know before it is graded, read in one query."""

    previous: tuple[str, str, str] | None  # (course, quiz, stored reply as JSON) of the same attempt id
    made: int  # attempts at this quiz so far: the number of the next form
    passed: bool  # one of them passed


@lru_cache(maxsize=1)
def _state_query():
    """The UNION ALL behind `attempt_state`, built once (bound: key, id, course, quiz)."""
    a = table_of(QuizAttempt).c  # run as Core
    key: BindParameter[str] = bindparam("key")
    return union_all(
        core_select(
            literal("a").label("kind"), a.course_slug, a.quiz_slug, cast(a.result, String), null(), null()
        ).where(a.learner_key == key, a.attempt_id == bindparam("id")),
        core_select(
            literal("n"),
            null(),
            null(),
            null(),
            func.count(),
            func.coalesce(func.sum(case((a.passed, 1), else_=0)), 0).cast(Integer),
        ).where(a.learner_key == key, a.course_slug == bindparam("course"), a.quiz_slug == bindparam("quiz")),
    )


def attempt_state(
    session: Session, *, learner_key: str, attempt_id: uuid.UUID | None, course_slug: str, quiz_slug: str
) -> AttemptState:
    """The stored attempt with this id (a resend), how many attempts the learner made at the quiz and whether
    one passed: one round trip."""
    previous, made, passed = None, 0, 0
    params = {"key": learner_key, "id": attempt_id, "course": course_slug, "quiz": quiz_slug}
    for kind, course, quiz, result, n, passes in session.connection().execute(_state_query(), params):
        if kind == "a":
            previous = (course, quiz, result)
        else:
            made, passed = n, passes
    return AttemptState(previous, made, bool(passed))


def previous_reply(state: AttemptState, *, course_slug: str, quiz_slug: str) -> AttemptOut | None:
    """The reply already given for this attempt id (a resend), or None; 409 if the id was used for another quiz."""
    if state.previous is None:
        return None
    course, quiz, result = state.previous
    if (course, quiz) != (course_slug, quiz_slug):
        raise Conflict("this attempt id was already used for another quiz", code="attempt_id_reused")
    return AttemptOut.model_validate_json(result)


def count(session: Session, *, learner_key: str, course_slug: str, quiz_slug: str) -> int:
    """Attempts the learner has made at this quiz (the next form's number)."""
    return attempt_state(
        session, learner_key=learner_key, attempt_id=None, course_slug=course_slug, quiz_slug=quiz_slug
    ).made


def review_of(quiz: QuizView, result: Grade, *, passed_before: bool) -> tuple[str, list[QuestionResultOut]]:
    """What the reply reveals: everything once passed (or review: full); else hints, or the score alone.

    `hints` before a pass says neither the score nor which question was right: an exact score lets a script
    find the key by changing one answer at a time, and per-question right/wrong gives it away by elimination
    (docs/learning-integrity.md). Every question asked gets its hint, right or wrong, so the hints carry
    nothing about the answers either."""
    policy = "full" if passed_before or result.passed else quiz.review
    if policy == "score":
        return policy, []
    questions = []
    for question, graded in zip(quiz.questions, result.questions, strict=True):
        if policy == "full":
            right = [o.id for o in question.options if o.correct]
            questions.append(
                QuestionResultOut(
                    id=question.id, correct=graded.correct, explanation=question.explanation, right_options=right
                )
            )
        else:
            questions.append(QuestionResultOut(id=question.id, correct=None, hint=hint(question.explanation)))
    return policy, questions


def record(
    *,
    learner_key: str,
    course_slug: str,
    quiz: QuizView,
    attempt_id: uuid.UUID,
    answers: dict[str, list[str]],
    now: datetime,
    passed_before: bool,
    writes: Writes,
) -> AttemptOut:
    """Grade the answers against the served questions; the attempt and its reply go with `writes`."""
    result = grade(quiz, answers)
    policy, questions = review_of(quiz, result, passed_before=passed_before)
    reply = AttemptOut(
        id=attempt_id,
        course=course_slug,
        quiz=quiz.slug,
        quiz_hash=quiz.content_hash,
        score=None if policy == "hints" else result.score,
        max_score=result.max_score,
        passed=result.passed,
        review=policy,
        questions=questions,
        submitted_at=now,
    )
    row = {
        "learner_key": learner_key,
        "attempt_id": attempt_id,
        "course_slug": course_slug,
        "quiz_slug": quiz.slug,
        "quiz_hash": quiz.content_hash,
        "score": result.score,
        "max_score": result.max_score,
        "passed": result.passed,
        "result": reply.model_dump(mode="json"),
        "submitted_at": now,
    }
    writes.add(inserting(QuizAttempt), [row])
    return reply


def note_certificate(session: Session, *, learner_key: str, reply: AttemptOut, code: str) -> AttemptOut:
    """This attempt completed the course: the stored reply says so too, so a resend returns the same (the
    attempt is stored by then: completing a course sends the pending writes first)."""
    reply = reply.model_copy(update={"course_completed": True, "certificate": code})
    table = table_of(QuizAttempt)
    session.execute(
        update(table)
        .where(table.c.learner_key == learner_key, table.c.attempt_id == reply.id)
        .values(result=reply.model_dump(mode="json"))
    )
    return reply


def first_passes(
    session: Session, *, learner_key: str, course_slugs: list[str] | None = None
) -> dict[tuple[str, str], datetime]:
    """(course, quiz) -> the time of the learner's first passing attempt."""
    query = (
        select(QuizAttempt.course_slug, QuizAttempt.quiz_slug, func.min(QuizAttempt.submitted_at))
        .where(QuizAttempt.learner_key == learner_key, QuizAttempt.passed)
        .group_by(QuizAttempt.course_slug, QuizAttempt.quiz_slug)
    )
    if course_slugs is not None:
        query = query.where(col(QuizAttempt.course_slug).in_(course_slugs))
    return {(course, quiz): first for course, quiz, first in session.exec(query)}


def forget(session: Session, *, learner_key: str) -> None:
    """Erasure: the learner's attempts are deleted."""
    session.execute(delete(QuizAttempt).where(col(QuizAttempt.learner_key) == learner_key))
