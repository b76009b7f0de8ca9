"""POST a quiz attempt (scope learner)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from app.auth.dependencies import Learner
from app.catalogue.dependencies import CatalogueDep
from app.config import API_PREFIX
from app.db import SessionDep
from app.progress.learners import changing
from app.quizzes import service
from app.quizzes.schemas import AttemptIn, AttemptOut

router = APIRouter(prefix=API_PREFIX, tags=["learner"])


@router.post("/courses/{course}/quizzes/{quiz}/attempts", response_model=AttemptOut)
def submit_attempt(
    course: str,
    quiz: str,
    body: AttemptIn,
    identity: Learner,
    catalogue: CatalogueDep,
    session: SessionDep,
    request: Request,
) -> dict:
    catalogue.course(course).quiz(quiz)  # 404 before anything is stored
    settings = request.app.state.settings
    with changing(session, identity=identity, shards=settings.rollup_shards) as learner:
        reply = service.submit(
            session,
            learner=learner,
            catalogue=catalogue,
            course_slug=course,
            quiz_slug=quiz,
            attempt_id=body.id,
            answers=body.answers,
            signer=request.app.state.signer,
            base_url=settings.public_base_url,
        )
    session.commit()
    return reply
