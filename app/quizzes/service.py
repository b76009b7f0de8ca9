"""Quiz attempts: graded on the server, idempotent per client attempt id, recorded with the quiz hash.

This domain knows attempts only; what an attempt means for the course (enrolment, completion, a
certificate) is decided by the learner layer above it.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, func
from sqlmodel import Session, select

from app.catalogue.service import QuizView
from app.errors import Conflict
from app.quizzes.forms import hint
from app.quizzes.grading import Grade, grade
from app.quizzes.models import QuizAttempt
from app.quizzes.schemas import AttemptOut, QuestionResultOut


def previous_reply(
    session: Session, *, learner_key: str, attempt_id: uuid.UUID, course_slug: str, quiz_slug: str
) -> AttemptOut | None:
    """The reply already given for this attempt id (a resend), or None; 409 if the id was used for another quiz."""
    existing = session.get(QuizAttempt, (learner_key, attempt_id))
    if existing is None:
        return None
    if (existing.course_slug, existing.quiz_slug) != (course_slug, quiz_slug):
        raise Conflict("this attempt id was already used for another quiz", code="attempt_id_reused")
    return AttemptOut.model_validate(existing.result)


def count(session: Session, *, learner_key: str, course_slug: str, quiz_slug: str) -> int:
    """Attempts the learner has made at this quiz (the next form's number)."""
    query = select(func.count()).where(
        QuizAttempt.learner_key == learner_key,
        QuizAttempt.course_slug == course_slug,
        QuizAttempt.quiz_slug == quiz_slug,
    )
    return session.exec(query).one()


def review_of(quiz: QuizView, result: Grade, *, passed_before: bool) -> tuple[str, list[QuestionResultOut]]:
    """What the reply reveals: everything once passed (or review: full); else hints, or the score alone."""
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
            questions.append(
                QuestionResultOut(
                    id=question.id, correct=graded.correct, hint=None if graded.correct else hint(question.explanation)
                )
            )
    return policy, questions


def record(
    session: Session,
    *,
    learner_key: str,
    course_slug: str,
    quiz: QuizView,
    attempt_id: uuid.UUID,
    answers: dict[str, list[str]],
    now: datetime,
    passed_before: bool,
) -> AttemptOut:
    """Grade the answers against the served questions and store the attempt with its reply."""
    result = grade(quiz, answers)
    policy, questions = review_of(quiz, result, passed_before=passed_before)
    reply = AttemptOut(
        id=attempt_id,
        course=course_slug,
        quiz=quiz.slug,
        quiz_hash=quiz.content_hash,
        score=result.score,
        max_score=result.max_score,
        passed=result.passed,
        review=policy,
        questions=questions,
        submitted_at=now,
    )
    session.add(
        QuizAttempt(
            learner_key=learner_key,
            attempt_id=attempt_id,
            course_slug=course_slug,
            quiz_slug=quiz.slug,
            quiz_hash=quiz.content_hash,
            score=result.score,
            max_score=result.max_score,
            passed=result.passed,
            result=reply.model_dump(mode="json"),
            submitted_at=now,
        )
    )
    session.flush()
    return reply


def note_certificate(session: Session, *, learner_key: str, reply: AttemptOut, code: str) -> AttemptOut:
    """This attempt completed the course: the stored reply says so too, so a resend returns the same."""
    reply = reply.model_copy(update={"course_completed": True, "certificate": code})
    attempt = session.get(QuizAttempt, (learner_key, reply.id))
    attempt.result = reply.model_dump(mode="json")
    session.add(attempt)
    session.flush()
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
        query = query.where(QuizAttempt.course_slug.in_(course_slugs))
    return {(course, quiz): first for course, quiz, first in session.exec(query)}


def forget(session: Session, *, learner_key: str) -> None:
    """Erasure: the learner's attempts are deleted."""
    session.execute(delete(QuizAttempt).where(QuizAttempt.learner_key == learner_key))
