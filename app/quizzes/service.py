"""Quiz attempts: graded on the server, idempotent per client attempt id, recorded with the quiz hash."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from app.catalogue.service import Catalogue
from app.certificates.signing import CertificateSigner
from app.db import utcnow
from app.errors import Conflict
from app.progress import service as progress_service
from app.progress.models import Learner
from app.quizzes.grading import grade
from app.quizzes.models import QuizAttempt


def submit(
    session: Session,
    *,
    learner: Learner,
    catalogue: Catalogue,
    course_slug: str,
    quiz_slug: str,
    attempt_id: uuid.UUID | None,
    answers: dict[str, list[str]],
    signer: CertificateSigner,
    base_url: str,
) -> dict:
    """Grade and store an attempt; the same attempt id returns the first result, whatever the answers."""
    quiz = catalogue.course(course_slug).quiz(quiz_slug)
    if attempt_id is not None:
        existing = session.get(QuizAttempt, (learner.key, attempt_id))
        if existing is not None:
            if (existing.course_slug, existing.quiz_slug) != (course_slug, quiz_slug):
                raise Conflict("this attempt id was already used for another quiz", code="attempt_id_reused")
            return existing.result
    attempt_id = attempt_id or uuid.uuid4()
    result = grade(quiz, answers)
    now = utcnow()
    reply = {
        "id": str(attempt_id),
        "course": course_slug,
        "quiz": quiz_slug,
        "quiz_hash": quiz.content_hash,
        "score": result.score,
        "max_score": result.max_score,
        "passed": result.passed,
        "questions": [{"id": q.id, "correct": q.correct, "explanation": q.explanation} for q in result.questions],
        "submitted_at": now.isoformat(),
        "course_completed": False,
    }
    session.add(
        QuizAttempt(
            learner_key=learner.key,
            attempt_id=attempt_id,
            course_slug=course_slug,
            quiz_slug=quiz_slug,
            quiz_hash=quiz.content_hash,
            score=result.score,
            max_score=result.max_score,
            passed=result.passed,
            result=reply,
            submitted_at=now,
        )
    )
    session.flush()
    progress_service.enrol(session, learner_key=learner.key, course_slug=course_slug, at=now)
    certificate = progress_service.settle(
        session,
        learner_key=learner.key,
        course=catalogue.course(course_slug),
        signer=signer,
        base_url=base_url,
        now=now,
    )
    if certificate is not None:
        reply = {**reply, "course_completed": True, "certificate": certificate.code}
        existing = session.get(QuizAttempt, (learner.key, attempt_id))
        existing.result = reply
        session.add(existing)
    return reply
