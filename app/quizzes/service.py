"""Quiz attempts: graded on the server, idempotent per client attempt id, recorded with the quiz hash.

This domain knows attempts only; what an attempt means for the course (enrolment, completion, a
certificate) is decided by the learner layer above it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import BindParameter, Integer, String, bindparam, case, cast, delete, func, union_all
from sqlmodel import Session, col, select

from app.catalogue.service import QuizView
from app.db import UtcDateTime, Writes, inserting, table_of, tagged
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
    first_passes: dict[str, datetime]  # quiz slug -> first pass, for every quiz of the course passed so far


# Each row of the state query says what it holds in `kind`; its other columns are NULL.
PREVIOUS = "previous"  # course, quiz, result: the attempt sent with this id before
QUIZ = "quiz"  # quiz, made, first_pass: the learner's attempts at one quiz of the course
STATE_COLUMNS: dict[str, Any] = {
    "course": String,
    "quiz": String,
    "result": String,
    "made": Integer,
    "first_pass": UtcDateTime,
}


@lru_cache(maxsize=1)
def _state_query():
    """The UNION ALL behind `attempt_state`, built once (bound: key, id, course)."""
    a = table_of(QuizAttempt).c  # run as Core
    key: BindParameter[str] = bindparam("key")
    return union_all(
        tagged(
            QUIZ,
            STATE_COLUMNS,
            quiz=a.quiz_slug,
            made=func.count(),
            first_pass=func.min(case((a.passed, a.submitted_at))),  # NULL: none passed
        )
        .where(a.learner_key == key, a.course_slug == bindparam("course"))
        .group_by(a.quiz_slug),
        tagged(PREVIOUS, STATE_COLUMNS, course=a.course_slug, quiz=a.quiz_slug, result=cast(a.result, String)).where(
            a.learner_key == key, a.attempt_id == bindparam("id")
        ),
    )


def attempt_state(
    session: Session, *, learner_key: str, attempt_id: uuid.UUID | None, course_slug: str, quiz_slug: str
) -> AttemptState:
    """The stored attempt with this id (a resend), how many attempts the learner made at the quiz and whether
    one passed, and the first pass of each quiz of the course: one round trip."""
    previous, made, first_passes = None, 0, {}
    params = {"key": learner_key, "id": attempt_id, "course": course_slug}
    for row in session.connection().execute(_state_query(), params):
        if row.kind == PREVIOUS:
            previous = (row.course, row.quiz, row.result)
            continue
        if row.quiz == quiz_slug:
            made = row.made
        if row.first_pass is not None:
            first_passes[row.quiz] = row.first_pass
    return AttemptState(previous, made, quiz_slug in first_passes, first_passes)


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


@dataclass(frozen=True)
class Graded:
    """A graded attempt before it is stored: the reply, and the score kept even when the reply withholds it."""

    learner_key: str
    reply: AttemptOut
    score: int

    def completing(self, certificate: str) -> Graded:
        """The same attempt, completing the course: its reply (stored, so a resend returns it) says so."""
        reply = self.reply.model_copy(update={"course_completed": True, "certificate": certificate})
        return replace(self, reply=reply)


def grade_attempt(
    *,
    learner_key: str,
    course_slug: str,
    quiz: QuizView,
    attempt_id: uuid.UUID,
    answers: dict[str, list[str]],
    now: datetime,
    passed_before: bool,
) -> Graded:
    """Grade the answers against the served questions, and word the reply (nothing is written)."""
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
    return Graded(learner_key, reply, result.score)


def store(graded: Graded, *, writes: Writes) -> None:
    """The attempt and its final reply go with `writes`: its one write."""
    reply = graded.reply
    row = {
        "learner_key": graded.learner_key,
        "attempt_id": reply.id,
        "course_slug": reply.course,
        "quiz_slug": reply.quiz,
        "quiz_hash": reply.quiz_hash,
        "score": graded.score,
        "max_score": reply.max_score,
        "passed": reply.passed,
        "result": reply.model_dump(mode="json"),
        "submitted_at": reply.submitted_at,
    }
    writes.add(inserting(QuizAttempt), [row])


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
