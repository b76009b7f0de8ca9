"""The learner's own progress summary (reads only; writes go through app.learners)."""

from __future__ import annotations

from fastapi import APIRouter

from app.auth.dependencies import Learner
from app.catalogue.dependencies import CatalogueDep
from app.config import API_PREFIX
from app.db import SessionDep
from app.errors import error_responses
from app.progress import summary
from app.progress.schemas import ProgressOut

router = APIRouter(prefix=API_PREFIX, tags=["learner"], responses=error_responses(401, 403, 422, 429, 503))


@router.get("/me/progress", response_model=ProgressOut)
def my_progress(identity: Learner, catalogue: CatalogueDep, session: SessionDep) -> ProgressOut:
    """Per course: lessons and quizzes done, completion, the next lesson to resume at, the certificate."""
    return summary.summary(session, learner_key=identity.learner_key, catalogue=catalogue)
